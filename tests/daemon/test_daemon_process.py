"""`senderwatch run` as a real process against the test DNS server, watched through its log
and its database: cycles, SIGTERM, SIGHUP, the single-instance lock."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.daemon._process import DaemonProcess, daemon_config, query, wait_for

StartDaemon = Callable[..., DaemonProcess]

RUNS = "SELECT id, trigger, status, finished_at FROM runs ORDER BY id"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_dns_runs_happen_every_cycle_and_sigterm_exits_zero(
    tmp_path: Path, nameserver: str, start_daemon: StartDaemon
) -> None:
    """The DNS job stores a `daemon` run each cycle, logs it, and SIGTERM ends cleanly."""
    db = tmp_path / "sw.db"
    config = _write(tmp_path / "sw.toml", daemon_config(nameserver=nameserver, database=db))
    daemon = start_daemon(config)
    wait_for(lambda: len(query(db, RUNS)) >= 3, 30, "three runs")
    assert daemon.stop() == 0
    runs = query(db, RUNS)
    assert {trigger for _id, trigger, _s, _f in runs} == {"daemon"}
    assert all(finished is not None for *_rest, finished in runs), runs
    assert {status for _id, _t, status, _f in runs} <= {"pass", "warn", "interrupted"}
    subjects = {row[0] for row in query(db, "SELECT DISTINCT subject FROM results")}
    assert subjects == {"healthy.test"}
    assert "dns: pass" in daemon.log or "dns: warn" in daemon.log
    assert "results (" in daemon.log and "senderwatch run: stopped" in daemon.log


@pytest.fixture
def silent_nameserver() -> Iterator[str]:
    """A UDP socket that never answers: every query waits for its full timeout."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_sigterm_during_a_long_run_stores_it_interrupted_and_exits_zero(
    tmp_path: Path, silent_nameserver: str, start_daemon: StartDaemon
) -> None:
    """A run still going after shutdown_timeout is stored `interrupted`, never left open."""
    db = tmp_path / "sw.db"
    text = daemon_config(
        nameserver=silent_nameserver, database=db, every="1h", dns_timeout=20.0
    ).replace('shutdown_timeout = "3s"', 'shutdown_timeout = "1s"')
    daemon = start_daemon(_write(tmp_path / "sw.toml", text))
    wait_for(lambda: query(db, RUNS), 20, "the first run to start")
    assert daemon.stop(timeout=10) == 0
    runs = query(db, RUNS)
    assert len(runs) == 1
    assert runs[0][2] == "interrupted" and runs[0][3] is not None
    assert "stored as interrupted" in daemon.log


def test_sighup_with_a_good_config_adds_the_new_domain(
    tmp_path: Path, nameserver: str, start_daemon: StartDaemon
) -> None:
    """A valid config re-read on SIGHUP replaces the jobs: the new domain gets checked."""
    db = tmp_path / "sw.db"
    config = _write(tmp_path / "sw.toml", daemon_config(nameserver=nameserver, database=db))
    daemon = start_daemon(config)
    wait_for(lambda: query(db, RUNS), 20, "the first run")
    _write(
        config,
        daemon_config(nameserver=nameserver, database=db, domains=("healthy.test", "mx-null.test")),
    )
    daemon.signal(signal.SIGHUP)
    daemon.wait_log("reload: config re-read")
    wait_for(
        lambda: query(db, "SELECT 1 FROM results WHERE subject = 'mx-null.test'"),
        20,
        "results of the new domain",
    )
    assert daemon.stop() == 0


def test_sighup_with_a_broken_config_logs_every_problem_and_keeps_running(
    tmp_path: Path, nameserver: str, start_daemon: StartDaemon
) -> None:
    """A broken config on SIGHUP is logged problem by problem; the old jobs keep firing."""
    db = tmp_path / "sw.db"
    config = _write(tmp_path / "sw.toml", daemon_config(nameserver=nameserver, database=db))
    daemon = start_daemon(config)
    wait_for(lambda: query(db, RUNS), 20, "the first run")
    broken = daemon_config(nameserver=nameserver, database=db).replace(
        'every = "1s"', 'cron = "61 * * * *"'
    )
    _write(config, broken.replace("retries = 0", "retries = -3"))
    daemon.signal(signal.SIGHUP)
    daemon.wait_log("the old config keeps running")
    assert "daemon.jobs.dns.cron" in daemon.log
    assert "dns.retries" in daemon.log
    seen = len(query(db, RUNS))
    wait_for(lambda: len(query(db, RUNS)) >= seen + 2, 20, "runs after the broken reload")
    assert daemon.stop() == 0


def test_second_daemon_on_the_same_sqlite_file_refuses_naming_the_pid(
    tmp_path: Path, nameserver: str, start_daemon: StartDaemon
) -> None:
    """Two daemons on one SQLite file would run every job twice: the second one refuses."""
    db = tmp_path / "sw.db"
    config = _write(tmp_path / "sw.toml", daemon_config(nameserver=nameserver, database=db))
    first = start_daemon(config, "first")
    first.wait_log("senderwatch run: started")
    second = start_daemon(config, "second")
    assert second.proc.wait(30) == 2
    assert f"pid {first.proc.pid}" in second.log
    assert first.proc.poll() is None
    assert first.stop() == 0
