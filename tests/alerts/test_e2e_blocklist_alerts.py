"""Done-when for blocklists, end to end: `senderwatch check --env` shows the environment's
blocklist and reverse-DNS result; a new listing of its sending IP fires one alert, its removal
resolves it; a listing already there at the baseline pages nobody. Real Knot DNS serving the
list zone (tests/zones/bl.test.zone), real `senderwatch check` processes, a real HTTP receiver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from tests.alerts.conftest import new_whsec
from tests.conftest import EditableDns
from tests.support.http_receiver import HttpReceiver

REPO = Path(__file__).resolve().parents[2]
LISTING = "10.100.51.198   IN A    127.0.0.2"


def write_config(tmp_path: Path, dns: EditableDns, hook_rx: HttpReceiver) -> Path:
    config = tmp_path / "senderwatch.toml"
    config.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "sw.db"}"

[dns]
nameservers = ["{dns.address}"]
timeout = 2.0
retries = 0

[[domains]]
name = "rep.test"
checks = []

[environments.production]
domain = "rep.test"
sending_ips = ["198.51.100.10"]

[blocklists]
enabled = true
use = ["lab-ip", "lab-dbl"]
spf_hosts = false

[blocklists.lists.lab-ip]
zone = "bl.test"
kind = "ip"
listed = {{ "127.0.0.2" = "lab listing" }}
delist_url = "https://bl.test/delist"

[blocklists.lists.lab-dbl]
zone = "dbl.test"
kind = "domain"

[alerts.delivery]
wait = "10s"

[[alerts.channels]]
name = "pager"
kind = "webhook"
url = "{hook_rx.url("/senderwatch")}"
secret_env = "SW_WEBHOOK_SECRET"
repeat_interval = "4h"
""",
        encoding="utf-8",
    )
    return config


def check(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "check",
            "--config",
            str(config),
            "--env",
            "production",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_new_listing_fires_one_alert_and_delisting_resolves_it(
    editable_dns: EditableDns, tmp_path: Path
) -> None:
    """Clean at baseline → listed (a critical weakening: one page) → delisted (resolved)."""
    secret = new_whsec()
    env = {**os.environ, "SW_WEBHOOK_SECRET": secret}
    with HttpReceiver() as hook_rx:
        config = write_config(tmp_path, editable_dns, hook_rx)
        clean = check(config, env)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "blocklists" in clean.stdout

        editable_dns.edit("bl.test", "; 198.51.100.66: listed", f"{LISTING}\n;")
        listed = check(config, env)
        assert listed.returncode == 1, listed.stdout + listed.stderr
        assert "blocklists.listed" in listed.stdout
        again = check(config, env)
        assert again.returncode == 1, again.stderr
        assert len(hook_rx.requests) == 1

        editable_dns.edit("bl.test", f"{LISTING}\n;", "; 198.51.100.66: listed")
        delisted = check(config, env)
        assert delisted.returncode == 0, delisted.stdout + delisted.stderr

        bodies = [Webhook(secret).verify(r.body, dict(r.headers)) for r in hook_rx.requests]
    assert [(b["type"], b["data"]["reason"]) for b in bodies] == [
        ("alert.firing", "first"),
        ("alert.resolved", "resolved"),
    ]
    alert = bodies[0]["data"]["alert"]
    assert (alert["domain"], alert["environment"], alert["check"]) == (
        "rep.test",
        "production",
        "blocklists",
    )
    assert alert["severity"] == "critical"
    assert {
        "key": "blocklists.lab-ip.198.51.100.10",
        "before": "clean",
        "after": "listed",
        "direction": "weakened",
    } in alert["changes"]


def test_listing_known_at_baseline_pages_nobody_and_stays_in_the_result(
    editable_dns: EditableDns, tmp_path: Path
) -> None:
    """Posture: the listing was there when the baseline was taken; the result still says so."""
    editable_dns.edit("bl.test", "; 198.51.100.66: listed", f"{LISTING}\n;")
    env = {**os.environ, "SW_WEBHOOK_SECRET": new_whsec()}
    with HttpReceiver() as hook_rx:
        config = write_config(tmp_path, editable_dns, hook_rx)
        first = check(config, env)
        second = check(config, env, "--format", "json")
        assert hook_rx.requests == []
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stderr
    document = json.loads(second.stdout)
    [result] = [r for r in document["results"] if r["check"] == "blocklists"]
    assert result["status"] == "warn"
    [listing] = result["evidence"]["blocklists"]["listings"]
    assert (listing["target"], listing["list"]) == ("198.51.100.10", "lab-ip")
    assert result["evidence"]["blocklists"]["fcrdns_verdict"] == "pass"
