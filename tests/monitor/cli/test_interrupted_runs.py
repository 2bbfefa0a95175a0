"""A `check` killed with SIGKILL is marked interrupted by the next command; a live one is not.

Real processes against a DNS server that never answers (so the checks stay in flight), on
SQLite and PostgreSQL: the killed run's lease runs out, the live run's heartbeat keeps its
lease fresh, and `senderwatch db runs` (which opens the database like every command) tells
them apart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from monitor.storage import Database, ResultRepository, RunLeases
from monitor.storage.runs import RunRecord
from tests.monitor._broken_db import run_cli
from tests.monitor.cli.conftest import Invoke, config_text
from tests.support.bad_dns import BlackholeDns

LEASE_S = 2


def _config(tmp_path: Path, database_url: str, nameserver: str) -> Path:
    text = config_text(nameserver=nameserver, database_url=database_url, timeout=30)
    text = text.replace("[dns]\n", f"run_lease = {LEASE_S}\n[dns]\n", 1)
    path = tmp_path / "senderwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _start_check(config: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "SENDERWATCH_CONFIG"}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "check", "--no-alerts", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        text=True,
    )


def _unfinished(database_url: str, count: int, timeout: float = 60) -> list[RunRecord]:
    """Wait until `count` runs have started and not finished (read without marking)."""
    db = Database(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with db.transaction() as session:
                runs = [r for r in RunLeases(session).recent(50) if r.finished_at is None]
            if len(runs) >= count or time.monotonic() > deadline:
                return sorted(runs, key=lambda r: r.id)
            time.sleep(0.1)
    finally:
        db.dispose()


def test_killed_check_is_interrupted_and_a_live_check_is_untouched(
    tmp_path: Path, database_url: str, invoke: Invoke
) -> None:
    """kill -9 leaves no status and no finish time; once its lease runs out the next command
    marks it `interrupted`, while a run still going in another process keeps running."""
    with BlackholeDns() as blackhole:
        config = _config(tmp_path, database_url, blackhole.address)
        assert invoke("db", "upgrade", "--config", config).exit_code == 0
        doomed = _start_check(config, tmp_path)
        live: subprocess.Popen[str] | None = None
        try:
            [doomed_run] = _unfinished(database_url, 1)
            live = _start_check(config, tmp_path)
            live_run = _unfinished(database_url, 2)[1]
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=30)
            time.sleep(LEASE_S * 1.5)  # the dead run's lease runs out; the live one renews

            proc = run_cli(["db", "runs", "--format", "json", "--config", config], cwd=tmp_path)
            assert proc.returncode == 0, proc.stderr
            runs = {run["id"]: run for run in json.loads(proc.stdout)["runs"]}
            assert live.poll() is None, "the live check should still be waiting on DNS"
        finally:
            for process in (doomed, live):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)

    assert runs[doomed_run.id]["status"] == "interrupted"
    assert runs[doomed_run.id]["finished_at"] is not None
    assert runs[live_run.id]["status"] == "running"
    assert runs[live_run.id]["finished_at"] is None
    assert runs[live_run.id]["lease_until"] > runs[live_run.id]["started_at"]


def test_db_runs_lists_runs_newest_first_with_their_status(tmp_path: Path, invoke: Invoke) -> None:
    """Operators see what ran, how it ended, and which runs died, without reading SQL."""
    url = f"sqlite:///{tmp_path / 'sw.db'}"
    config = _config(tmp_path, url, "127.0.0.1:9")
    empty = invoke("db", "runs", "--config", config)
    assert empty.stdout == "No runs yet: run `senderwatch check` first.\n"

    db = Database(url)
    started = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    with db.transaction() as session:
        repo = ResultRepository(session)
        passed = repo.start_run(trigger="cli", started_at=started, release="v1.2")
        repo.finish_run(passed.id, finished_at=started, status="pass")
        dead = repo.start_run(trigger="daemon", started_at=started, lease_s=-1)  # lease over
    db.dispose()

    listed = invoke("db", "runs", "--config", config)
    assert listed.exit_code == 0, listed.output
    header, first, second = listed.stdout.splitlines()
    assert header.split() == ["id", "status", "trigger", "started", "finished", "release"]
    assert first.split()[:5] == [str(dead.id), "interrupted", "daemon", "2025-03-01", "12:00:00Z"]
    assert first.split()[-1] == "-"
    assert second.split() == [
        str(passed.id), "pass", "cli", "2025-03-01", "12:00:00Z", "2025-03-01", "12:00:00Z", "v1.2"
    ]  # fmt: skip
