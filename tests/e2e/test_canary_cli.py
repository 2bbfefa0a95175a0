"""`senderwatch canary` and `senderwatch check --canary` as a user runs them, against the lab.

The CLI runs as a real subprocess (started inside the lab's network namespace), with a TOML
config, a SQLite database and the IMAP password in an environment variable: the same path a
deploy pipeline takes. Exit codes are the contract those pipelines read.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from monitor.storage import open_database
from monitor.storage.canary_models import CanaryRepository
from tests.e2e._lab_config import PASSWORD_ENV, lab_environment
from tests.support.http_receiver import HttpReceiver
from tests.support.mail_lab import MailLab

pytestmark = pytest.mark.e2e


@pytest.fixture
def config(mail_lab: MailLab, tmp_path: Path) -> Path:
    """A config with three environments on the lab: good, shadow (unsigned), lost mail."""
    lab = mail_lab
    box = lab.mailbox("canary").address
    text = f"""
[database]
url = "sqlite:///{tmp_path / "senderwatch.db"}"
[dns]
nameservers = ["{lab.dns.host}:{lab.dns.port}"]
timeout = 2.0
retries = 1
[[domains]]
name = "{lab.sending_domain}"
dkim_selectors = ["{lab.selector}"]
checks = ["spf", "dmarc", "dkim"]
[domains.expect]
dmarc_policy = "reject"
"""
    text += lab_environment(lab, "staging", lab.relay, box, 20)
    text += lab_environment(lab, "shadow", lab.shadow_relay, box, 20)
    text += lab_environment(lab, "lost", lab.relay, lab.blackhole, 20)
    path = tmp_path / "senderwatch.toml"
    path.write_text(text)
    return path


def _cli(lab: MailLab, config: Path, *args: str, password: bool = True) -> Any:
    """Run senderwatch in the lab's namespace; returns the completed process."""
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if password:
        env[PASSWORD_ENV] = lab.mailbox("canary").password
    with lab.ns.entered():  # the child process inherits the namespace
        return subprocess.run(
            [sys.executable, "-m", "monitor", *args, "--config", str(config)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )


def _document(proc: Any) -> dict[str, Any]:
    assert proc.stdout, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


def test_canary_command_passes_and_stores_the_canary(mail_lab: MailLab, config: Path) -> None:
    """The issue's "done when": point at a relay and an inbox, run, read a verdict."""
    proc = _cli(
        mail_lab, config, "canary", "--env", "staging", "--release", "v1.2.3", "--format", "json"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = _document(proc)
    assert document["status"] == "pass"
    (result,) = document["results"]
    assert (result["check"], result["subject"], result["environment"]) == (
        "canary",
        "staging",
        "staging",
    )
    assert result["observations"]["canary.dkim"] == "pass"
    canary = document["canary"]
    assert canary["delivered"] is True
    assert canary["acknowledged"] is True
    db = open_database(f"sqlite:///{config.parent / 'senderwatch.db'}")
    try:
        with db.transaction() as session:
            stored = CanaryRepository(session).by_token(canary["token"])
    finally:
        db.dispose()
    assert stored is not None
    assert stored.record.release == "v1.2.3"
    assert stored.acknowledged_at is not None
    assert stored.result_id is not None


def test_text_output_shows_the_verdict_with_its_evidence(mail_lab: MailLab, config: Path) -> None:
    """A person reading the terminal sees which header said what, not just a status."""
    proc = _cli(mail_lab, config, "canary", "--env", "staging")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[1].split() == ["pass", "canary", "staging", "staging"]
    assert "Canary sw-" in proc.stdout
    assert f"{mail_lab.authserv_id}; dkim=pass" in proc.stdout.replace("\n\t", " ")
    assert "latency:" in proc.stdout


def test_unsigned_environment_exits_1_with_dkim_and_dmarc_codes(
    mail_lab: MailLab, config: Path
) -> None:
    """A failing canary fails the pipeline step that runs it."""
    proc = _cli(mail_lab, config, "canary", "--env", "shadow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "canary.dkim_none" in proc.stdout
    assert "canary.dmarc_fail" in proc.stdout


def test_lost_canary_exits_1_after_the_given_timeout(mail_lab: MailLab, config: Path) -> None:
    """--timeout bounds the wait; a canary that never lands is a failure, not a hang."""
    proc = _cli(mail_lab, config, "canary", "--env", "lost", "--timeout", "2", "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (result,) = _document(proc)["results"]
    assert [f["code"] for f in result["findings"]] == ["canary.not_delivered"]


def test_relay_down_exits_3(mail_lab: MailLab, config: Path) -> None:
    """ "Could not measure" has its own exit code, so a pipeline can retry instead of block."""
    with mail_lab.relay_stopped():
        proc = _cli(mail_lab, config, "canary", "--env", "staging")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "canary.send_failed" in proc.stdout
    assert "connect failed" in proc.stdout


def test_missing_secret_and_unknown_environment_exit_2(mail_lab: MailLab, config: Path) -> None:
    """Configuration problems are reported before anything is sent."""
    proc = _cli(mail_lab, config, "canary", "--env", "staging", password=False)
    assert proc.returncode == 2
    assert PASSWORD_ENV in proc.stderr
    proc = _cli(mail_lab, config, "canary", "--env", "nowhere")
    assert proc.returncode == 2
    assert "unknown environment 'nowhere'" in proc.stderr


def test_check_with_canary_runs_dns_checks_and_the_canary_in_one_run(
    mail_lab: MailLab, config: Path
) -> None:
    """The post-release gate: one command, one run, one exit code for DNS, relay and mail."""
    proc = _cli(
        mail_lab, config, "check", "--env", "staging", "--canary", "--no-alerts", "--format", "json"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = _document(proc)
    checks = sorted(r["check"] for r in document["results"])
    assert checks == ["canary", "dkim", "dmarc", "smtp", "spf"]  # smtp: the relay probe
    assert {r["environment"] for r in document["results"]} == {"staging"}


def test_broken_dkim_after_a_good_run_is_weakened_drift(mail_lab: MailLab, config: Path) -> None:
    """Drift on canary observations: yesterday's pass is the baseline today's fail breaks."""
    first = _cli(mail_lab, config, "canary", "--env", "staging", "--format", "json")
    assert first.returncode == 0, first.stdout + first.stderr
    with mail_lab.dkim_key_broken():
        second = _cli(mail_lab, config, "canary", "--env", "staging", "--format", "json")
    assert second.returncode == 1, second.stdout + second.stderr
    drifts = {d["key"]: d for d in _document(second)["drifts"]}
    assert drifts["canary.dkim"]["before"] == "pass"
    assert drifts["canary.dkim"]["after"] == "fail"
    assert drifts["canary.dkim"]["direction"] == "weakened"


def test_canary_runs_the_alert_lifecycle_before_it_exits(
    mail_lab: MailLab, config: Path, tmp_path: Path
) -> None:
    """A cron-run canary alerts on its own: the second failure in a row fires one webhook
    (flap damping: two sightings for canaries), and --no-alerts sends nothing."""
    with mail_lab.ns.entered():  # the receiver's socket lives where the CLI runs
        receiver = HttpReceiver()
    secret = "whsec_" + base64.b64encode(b"e2e canary alert secret!").decode()
    config.write_text(
        config.read_text()
        + f"""
[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "{receiver.url()}"
secret_env = "E2E_WEBHOOK_SECRET"
"""
    )
    os.environ["E2E_WEBHOOK_SECRET"] = secret
    try:
        with receiver:
            quiet = _cli(mail_lab, config, "canary", "--env", "shadow", "--no-alerts")
            assert quiet.returncode == 1, quiet.stdout + quiet.stderr
            first = _cli(mail_lab, config, "canary", "--env", "shadow")
            assert first.returncode == 1, first.stdout + first.stderr
            assert receiver.requests == []  # --no-alerts runs do not count; one sighting
            second = _cli(mail_lab, config, "canary", "--env", "shadow")
            assert second.returncode == 1, second.stdout + second.stderr
            receiver.wait_for(1)  # delivered before the command exited
    finally:
        del os.environ["E2E_WEBHOOK_SECRET"]
    codes = set()
    for request in receiver.requests:
        Webhook(secret).verify(request.body, dict(request.headers))
        payload = request.json()
        assert (payload["type"], payload["data"]["reason"]) == ("alert.firing", "first")
        alert = payload["data"]["alert"]
        assert (alert["environment"], alert["check"]) == ("shadow", "canary")
        codes.add(alert["code"])
    assert {"canary.dkim_none", "canary.dmarc_fail"} <= codes
    assert len(codes) == len(receiver.requests)  # one notification per problem, no repeats
