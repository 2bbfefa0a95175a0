"""The per-environment jobs: each environment with an inbox gets a canary job, each one
sending through SMTP a relay job; both store `daemon` runs and log one line each."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from tests.daemon._process import DaemonProcess, daemon_config, query


def _closed_port() -> int:
    """A loopback TCP port nothing listens on: the relay refuses at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_canary_and_relay_jobs_run_per_environment(
    tmp_path: Path, nameserver: str, start_daemon: Callable[..., DaemonProcess]
) -> None:
    """A relay that refuses connections is measured and stored, never a crashed daemon."""
    environment = "\n".join(
        [
            "[environments.staging]",
            'domain = "healthy.test"',
            'from = "canary@healthy.test"',
            'to = "seed@lab.test"',
            "timeout = 2.0",
            "[environments.staging.smtp]",
            'host = "127.0.0.1"',
            f"port = {_closed_port()}",
            'security = "none"',
            "timeout = 2.0",
            "[environments.staging.inbox]",
            'kind = "maildir"',
            'trusted_authserv_ids = ["lab.test"]',
            f'path = "{tmp_path / "Maildir"}"',
            "[daemon.jobs.canary]",
            'every = "1h"',
            "[daemon.jobs.relay]",
            'every = "1h"',
        ]
    )
    db = tmp_path / "sw.db"
    text = daemon_config(nameserver=nameserver, database=db, domains=(), extra=environment)
    config = tmp_path / "sw.toml"
    config.write_text(text, encoding="utf-8")
    daemon = start_daemon(config)
    daemon.wait_log("relay.staging: ")
    daemon.wait_log("canary.staging")
    assert daemon.stop() == 0
    runs = query(db, "SELECT trigger, status FROM runs")
    assert len(runs) == 2 and {trigger for trigger, _ in runs} == {"daemon"}, runs
    checks = {row[0] for row in query(db, 'SELECT DISTINCT "check" FROM results')}
    assert {"smtp", "canary"} <= checks, checks
    assert "dns: " not in daemon.log
