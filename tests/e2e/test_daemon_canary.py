"""`senderwatch run` against the mail lab: a post-release run over the API, and SIGTERM while a
canary waits in the inbox.

The daemon is a real subprocess started inside the lab's network namespace (the `in_lab`
fixture moves the test's thread there, so the child and the test's HTTP requests both reach
the lab and the daemon's loopback listener). It is observed only through its HTTP answers,
its log and its SQLite database.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.daemon._process import DaemonProcess, query, wait_for
from tests.e2e._lab_config import PASSWORD_ENV, lab_environment
from tests.support.mail_lab import MailLab

pytestmark = pytest.mark.e2e

TOKEN_ENV = "SW_E2E_API_TOKEN"
TOKEN = "e2e-token-for-tests-only"
SHUTDOWN_TIMEOUT = 2.0
StartDaemon = Callable[[Path], DaemonProcess]


def _config(lab: MailLab, database: Path, *, jobs: str, environment: str) -> str:
    """The lab's domain and one environment; `jobs` says which scheduled jobs run."""
    return (
        f"""
[database]
url = {json.dumps(f"sqlite:///{database}")}
[dns]
nameservers = ["{lab.dns.host}:{lab.dns.port}"]
timeout = 2.0
retries = 1
[api]
port = 0
token_env = "{TOKEN_ENV}"
max_wait = 60
[[domains]]
name = "{lab.sending_domain}"
dkim_selectors = ["{lab.selector}"]
checks = ["spf", "dmarc", "dkim"]
[daemon]
shutdown_timeout = "{SHUTDOWN_TIMEOUT:g}s"
[daemon.jobs.retention]
every = "1d"
enabled = false
"""
        + jobs
        + environment
    )


@pytest.fixture
def start_daemon(in_lab: MailLab, tmp_path: Path) -> Iterator[StartDaemon]:
    """Start `senderwatch run` inside the lab's namespace; killed at the end if still up."""
    started: list[DaemonProcess] = []

    def start(config: Path) -> DaemonProcess:
        env = {PASSWORD_ENV: in_lab.mailbox("canary").password, TOKEN_ENV: TOKEN}
        process = DaemonProcess(config, tmp_path / "daemon.log", env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


def _base(daemon: DaemonProcess) -> str:
    daemon.wait_log("HTTP on 127.0.0.1:")
    match = re.search(r"HTTP on 127\.0\.0\.1:(\d+)", daemon.log)
    assert match, daemon.log
    return f"http://127.0.0.1:{match[1]}"


def _blackholed(lab: MailLab) -> int:
    """How many messages the lab's receiver has discarded (mail to its blackhole address)."""
    maillog = lab.log_files()["postfix-receiver"]
    text = maillog.read_text(errors="replace") if maillog.exists() else ""
    return text.count(f"to=<{lab.blackhole}>")


def _auth(**headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", **headers}


def test_post_release_run_over_the_api_proves_the_lab_path(
    in_lab: MailLab, tmp_path: Path, start_daemon: StartDaemon
) -> None:
    """A deploy pipeline's call: one run (even when retried) with DNS and a real canary through
    Postfix, OpenDKIM and Dovecot, judged pass and stored with its release and trigger."""
    lab = in_lab
    db = tmp_path / "sw.db"
    jobs = """
[daemon.jobs.dns]
every = "1h"
[daemon.jobs.canary]
every = "1h"
enabled = false
[daemon.jobs.relay]
every = "1h"
enabled = false
"""
    env = lab_environment(lab, "production", lab.relay, lab.mailbox("canary").address, 20)
    config = tmp_path / "sw.toml"
    config.write_text(_config(lab, db, jobs=jobs, environment=env), encoding="utf-8")
    daemon = start_daemon(config)
    base = _base(daemon)
    body = {"environment": "production", "release": "v2.0.1", "checks": ["dns", "canary"]}
    headers = _auth(**{"Idempotency-Key": "deploy-e2e-1"})
    first = requests.post(f"{base}/api/v1/runs", json=body, headers=headers, timeout=10)
    assert first.status_code == 202, first.text
    retried = requests.post(f"{base}/api/v1/runs", json=body, headers=headers, timeout=10)
    assert retried.status_code == 202, retried.text
    run_id = first.json()["id"]
    assert retried.json()["id"] == run_id
    document: dict[str, Any] = {}
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        answer = requests.get(
            f"{base}/api/v1/runs/{run_id}", params={"wait": 10}, headers=_auth(), timeout=20
        )
        assert answer.status_code == 200, answer.text
        document = answer.json()
        if document["state"] == "done":
            break
    assert document.get("state") == "done", (document, daemon.log)
    assert (document["status"], document["exit_code"]) == ("pass", 0), (document, daemon.log)
    results = document["result"]["results"]
    # canary with dns is the environment's whole plan (docs/api.md): the relay probe too
    assert sorted(r["check"] for r in results) == ["canary", "dkim", "dmarc", "smtp", "spf"]
    (canary,) = (r for r in results if r["check"] == "canary")
    assert canary["observations"]["canary.dkim"] == "pass"
    assert query(db, "SELECT COUNT(*) FROM run_requests") == [(1,)]
    assert query(
        db, "SELECT trigger, release, status FROM runs WHERE id = ?", document["run_id"]
    ) == [("deploy", "v2.0.1", "pass")]
    assert daemon.stop() == 0


def test_sigterm_while_a_canary_waits_stores_it_interrupted_and_exits_0(
    in_lab: MailLab, tmp_path: Path, start_daemon: StartDaemon
) -> None:
    """A restart during a canary must not page anyone: the cut-off run is `interrupted`, never
    a failure, and the daemon is gone within its shutdown bound."""
    lab = in_lab
    db = tmp_path / "sw.db"
    jobs = """
[daemon.jobs.dns]
every = "1h"
enabled = false
[daemon.jobs.canary]
every = "1h"
[daemon.jobs.relay]
every = "1h"
enabled = false
"""
    env = lab_environment(lab, "lost", lab.relay, lab.blackhole, 120)  # mail that never arrives
    config = tmp_path / "sw.toml"
    config.write_text(_config(lab, db, jobs=jobs, environment=env), encoding="utf-8")
    discarded = _blackholed(lab)
    daemon = start_daemon(config)
    # The canary job fires at start; once the receiver has discarded its message, the job is
    # waiting in the inbox for mail that never comes.
    try:
        wait_for(lambda: _blackholed(lab) > discarded, 20, "the canary discarded by the receiver")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the daemon's log:\n{daemon.log}") from None
    (run,) = query(db, "SELECT id, status FROM runs WHERE trigger = 'daemon'")
    assert run[1] is None, run  # still running
    began = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.proc.wait(SHUTDOWN_TIMEOUT + 10) == 0, daemon.log
    assert time.monotonic() - began < SHUTDOWN_TIMEOUT + 10
    assert query(db, "SELECT status FROM runs WHERE id = ?", run[0]) == [("interrupted",)]
    assert query(db, "SELECT COUNT(*) FROM runs WHERE status = 'fail'") == [(0,)]
    assert "stored as interrupted" in daemon.log
    daemon.stop()
