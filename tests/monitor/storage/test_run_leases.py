"""Run leases: a run whose process died is marked interrupted; a live one is never touched."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.engine.run_lease import RunHeartbeat
from monitor.storage import INTERRUPTED, Database, ResultRepository, RunLeases, open_database
from monitor.storage.runs import RunRecord
from tests.monitor._fakes import make_result

NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
SHORT_LEASE_S = 0.2


def _start(db: Database, lease_s: float) -> RunRecord:
    with db.transaction() as session:
        return ResultRepository(session).start_run(trigger="t", started_at=NOW, lease_s=lease_s)


def _get(db: Database, run_id: int) -> RunRecord:
    with db.transaction() as session:
        run = ResultRepository(session).get_run(run_id)
    assert run is not None
    return run


def test_dead_run_is_interrupted_and_live_and_finished_runs_are_not(database: Database) -> None:
    """Only a run whose lease ran out unfinished is marked; marking is one conditional UPDATE,
    so a live run elsewhere and a finished one keep what they have."""
    dead = _start(database, SHORT_LEASE_S)
    live = _start(database, 600)
    finished = _start(database, SHORT_LEASE_S)
    with database.transaction() as session:
        ResultRepository(session).finish_run(finished.id, finished_at=NOW, status="pass")
    time.sleep(SHORT_LEASE_S * 2)

    with database.transaction() as session:
        marked = RunLeases(session).mark_interrupted()
    assert marked == [dead.id]

    after = _get(database, dead.id)
    assert (after.status, after.lease_until) == (INTERRUPTED, None)
    assert after.finished_at == dead.heartbeat_at  # the last sign of life
    assert (_get(database, live.id).status, _get(database, live.id).finished_at) == (None, None)
    assert _get(database, finished.id).status == "pass"
    with database.transaction() as session:
        assert RunLeases(session).mark_interrupted() == []  # each run is marked once


def test_opening_the_database_marks_dead_runs(database_url: str) -> None:
    """Any command marks them: the mark happens where every command opens the database."""
    first = open_database(database_url)
    dead = _start(first, SHORT_LEASE_S)
    first.dispose()
    time.sleep(SHORT_LEASE_S * 2)
    second = open_database(database_url)
    try:
        assert _get(second, dead.id).status == INTERRUPTED
    finally:
        second.dispose()


def test_heartbeat_keeps_a_long_run_alive_past_its_lease(database: Database) -> None:
    """A run longer than its lease (a slow DNS scan, a canary waiting) is renewed, not reaped."""
    run = _start(database, SHORT_LEASE_S)
    with RunHeartbeat(database, run.id, lease_s=SHORT_LEASE_S) as heartbeat:
        time.sleep(SHORT_LEASE_S * 4)
        with database.transaction() as session:
            assert RunLeases(session).mark_interrupted() == []
        assert heartbeat.last_error is None
    assert _get(database, run.id).status is None


def test_a_run_stopped_by_an_exception_is_interrupted_at_once(database: Database) -> None:
    """Ctrl-C or a crash marks the run now, rather than after its lease runs out."""
    run = _start(database, 600)
    with pytest.raises(KeyboardInterrupt), RunHeartbeat(database, run.id, lease_s=600):
        raise KeyboardInterrupt
    stopped = _get(database, run.id)
    assert stopped.status == INTERRUPTED
    assert stopped.finished_at is not None


def test_finishing_wins_over_an_earlier_interrupted_mark(database: Database) -> None:
    """A process frozen past its lease that then completes records its real verdict."""
    run = _start(database, SHORT_LEASE_S)
    time.sleep(SHORT_LEASE_S * 2)
    with database.transaction() as session:
        assert RunLeases(session).mark_interrupted() == [run.id]
        assert not RunLeases(session).renew(run.id, 60)  # the heartbeat learns it was marked
        ResultRepository(session).finish_run(run.id, finished_at=NOW, status="warn")
    assert _get(database, run.id).status == "warn"


def test_unfinished_runs_from_before_leases_are_marked_after_the_upgrade(tmp_path: Path) -> None:
    """Runs killed before this release had no lease; the migration ends theirs, and rebuilds
    `runs` on SQLite without breaking the results that reference it."""
    path = tmp_path / "old.db"
    old = Database(f"sqlite:///{path}")
    old.upgrade("0002_alerts")
    old.upgrade("0003_canary")
    old.upgrade("0006_report_rollups")  # today's repository writes result hashes and rollups
    with old.transaction() as session:
        session.execute(
            text("INSERT INTO runs (id, trigger, started_at) VALUES (7, 'cli', :t)"), {"t": NOW}
        )
        ResultRepository(session).add_all(7, [make_result()])
    old.dispose()

    db = open_database(f"sqlite:///{path}", on_create=None)
    try:
        run = _get(db, 7)
        assert (run.status, run.finished_at) == (INTERRUPTED, NOW)
        with db.transaction() as session:
            assert len(ResultRepository(session).of_run(7)) == 1
    finally:
        db.dispose()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
