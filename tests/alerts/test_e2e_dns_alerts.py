"""Done-when, end to end: a user adds Slack and a generic webhook, breaks a DNS record, and
gets one firing message in each, a reminder after the interval, and one resolved message
after fixing it; a domain whose only warnings were there at its baseline pages nobody until a
record breaks. Real Knot DNS, real `senderwatch check` processes, real HTTP receivers.

The reminder comes from the alert clock advanced past the repeat interval through the
test-only `SENDERWATCH_TEST_CLOCK_OFFSET` (documented in docs/alerts.md), not from waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from monitor.wiring.alerts import CLOCK_OFFSET_ENV
from tests.alerts.conftest import new_whsec
from tests.conftest import EditableDns
from tests.support.http_receiver import HttpReceiver

REPO = Path(__file__).resolve().parents[2]
DOMAIN = "core-drift.test"


@pytest.fixture
def slack_rx() -> Iterator[HttpReceiver]:
    with HttpReceiver() as rx:
        yield rx


@pytest.fixture
def hook_rx() -> Iterator[HttpReceiver]:
    with HttpReceiver() as rx:
        yield rx


def write_config(
    tmp_path: Path,
    dns: EditableDns,
    hook_rx: HttpReceiver,
    checks: str = '"spf", "dmarc", "dkim", "mx"',
) -> Path:
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
name = "{DOMAIN}"
dkim_selectors = ["s1"]
checks = [{checks}]

[alerts.delivery]
wait = "10s"

[[alerts.channels]]
name = "oncall"
kind = "slack"
webhook_url_env = "SW_SLACK_URL"
repeat_interval = "4h"

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


def check(
    config: Path, env: dict[str, str], offset_hours: float = 0
) -> subprocess.CompletedProcess[str]:
    run_env = {**env, CLOCK_OFFSET_ENV: str(offset_hours * 3600)}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        env=run_env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_broken_dns_record_fires_reminds_and_resolves_in_slack_and_webhook(
    editable_dns: EditableDns,
    slack_rx: HttpReceiver,
    hook_rx: HttpReceiver,
    tmp_path: Path,
) -> None:
    """One firing, one reminder after the interval, one resolved, in each channel."""
    secret = new_whsec()
    env = {
        **os.environ,
        "SW_SLACK_URL": slack_rx.url("/services/T1/B1/e2eToken"),
        "SW_WEBHOOK_SECRET": secret,
    }
    config = write_config(tmp_path, editable_dns, hook_rx)

    healthy = check(config, env)
    assert healthy.returncode == 0, healthy.stderr
    assert (slack_rx.requests, hook_rx.requests) == ([], [])

    editable_dns.edit(DOMAIN, "p=reject;", "p=none;")
    broken = check(config, env)
    assert broken.returncode == 1, broken.stderr
    again = check(config, env, offset_hours=1)  # still broken, inside the interval: quiet
    assert again.returncode == 1, again.stderr
    assert (len(slack_rx.requests), len(hook_rx.requests)) == (1, 1), broken.stderr

    reminded = check(config, env, offset_hours=5)
    assert reminded.returncode == 1, reminded.stderr

    editable_dns.edit(DOMAIN, "p=none;", "p=reject;")
    fixed = check(config, env, offset_hours=6)
    assert fixed.returncode == 0, fixed.stderr

    slack = [json.loads(r.body)["text"] for r in slack_rx.requests]
    assert [t.split(" [")[0] for t in slack] == ["FIRING", "STILL FIRING", "RESOLVED"], slack
    assert all(DOMAIN in t for t in slack)

    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, dict(r.headers)) for r in hook_rx.requests]
    assert [(b["type"], b["data"]["reason"]) for b in bodies] == [
        ("alert.firing", "first"),
        ("alert.firing", "reminder"),
        ("alert.resolved", "resolved"),
    ]
    assert len({r.headers["webhook-id"] for r in hook_rx.requests}) == 3
    first = bodies[0]["data"]["alert"]
    assert (first["domain"], first["check"]) == (DOMAIN, "dmarc")
    assert {"key": "dmarc.p", "before": "reject", "after": "none", "direction": "weakened"} in (
        first["changes"]
    )


def test_warnings_at_baseline_page_nobody_and_a_removed_dmarc_record_pages(
    editable_dns: EditableDns, slack_rx: HttpReceiver, hook_rx: HttpReceiver, tmp_path: Path
) -> None:
    """No MTA-STS or TLS-RPT since the baseline is posture; a deleted DMARC record is a page."""
    secret = new_whsec()
    env = {
        **os.environ,
        "SW_SLACK_URL": slack_rx.url("/services/T1/B1/e2eToken"),
        "SW_WEBHOOK_SECRET": secret,
    }
    every_check = '"spf", "dmarc", "dkim", "mx", "mta_sts", "tlsrpt"'
    config = write_config(tmp_path, editable_dns, hook_rx, checks=every_check)

    first = check(config, env)
    assert first.returncode == 0, first.stderr
    assert "mta_sts.missing" in first.stdout and "tlsrpt.missing" in first.stdout, first.stdout
    again = check(config, env, offset_hours=1)
    assert again.returncode == 0, again.stderr
    assert (slack_rx.requests, hook_rx.requests) == ([], [])

    editable_dns.edit(
        DOMAIN, '_dmarc  IN TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@core-drift.test"', ""
    )
    broken = check(config, env, offset_hours=2)
    assert broken.returncode == 1, broken.stderr

    bodies = [Webhook(secret).verify(r.body, dict(r.headers)) for r in hook_rx.requests]
    [alert] = [b["data"]["alert"] for b in bodies]
    assert (alert["key"], alert["severity"]) == (f"{DOMAIN}/dmarc/dmarc.missing", "critical")
    assert alert["summary"] == f"DMARC record of {DOMAIN} missing"
    assert isinstance(alert["evidence"], dict) and alert["evidence"]
    [slack] = [json.loads(r.body) for r in slack_rx.requests]
    assert slack["text"] == f"FIRING [CRITICAL] DMARC record of {DOMAIN} missing"
    for request in (*hook_rx.requests, *slack_rx.requests):
        assert "{'" not in request.body.decode() and "': '" not in request.body.decode()
