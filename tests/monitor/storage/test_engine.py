"""Engine: SQLite tuned at connect time to behave like PostgreSQL; errors carry no password."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from checks.result import Severity
from monitor.policy.drift import Direction, Drift
from monitor.storage import Database, DatabaseUnavailable, DriftRepository, open_database
from monitor.storage.engine import redacted_url

NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    """WAL lets readers work while the daemon writes; foreign keys match PostgreSQL."""
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        db.dispose()


def test_sqlite_database_directory_is_created(tmp_path: Path) -> None:
    """A fresh install with `url = "sqlite:///state/senderwatch.db"` must just work."""
    path = tmp_path / "state" / "nested" / "senderwatch.db"
    db = open_database(f"sqlite:///{path}")
    db.dispose()
    assert path.exists()


def test_foreign_keys_are_enforced(database: Database) -> None:
    """A drift row pointing at no result is refused on both backends alike."""
    drift = Drift(
        "dmarc", "a.test", None, "dmarc.p", "reject", "none", Direction.WEAKENED, Severity.CRITICAL
    )
    with pytest.raises(IntegrityError), database.transaction() as session:
        DriftRepository(session).add(
            result_id=999, baseline_id=999, drifts=[drift], detected_at=NOW
        )


def test_a_failed_transaction_leaves_nothing_behind(database: Database) -> None:
    """Work inside a transaction is committed together or not at all."""

    def insert_then_fail() -> None:
        with database.transaction() as session:
            session.execute(
                text("INSERT INTO runs (trigger, started_at) VALUES ('t', :t)"), {"t": NOW}
            )
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with database.transaction() as session:
        assert session.execute(text("SELECT count(*) FROM runs")).scalar() == 0


def test_unreachable_database_is_a_clear_error_without_password() -> None:
    """A wrong URL says which database failed and never prints the password."""
    url = "postgresql+psycopg://watcher:s3cret@127.0.0.1:1/senderwatch"
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(url)
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)
    assert "s3cret" not in redacted_url(url)


def test_missing_driver_module_is_named() -> None:
    """A URL whose DB-API module is not installed fails with the module named."""
    with pytest.raises(DatabaseUnavailable, match="driver missing: pymysql"):
        Database("mysql+pymysql://u@localhost/db")


def test_unknown_dialect_is_a_clear_error() -> None:
    """A typo in the driver name is reported as such, not as a traceback."""
    with pytest.raises(DatabaseUnavailable, match=r"no dialect or driver 'postgresql\+nosuch'"):
        Database("postgresql+nosuch://u@localhost/db")


def test_concurrent_writers_wait_for_each_other(database_url: str) -> None:
    """The daemon and a CLI run writing at once must queue, not fail with "locked"."""
    import threading

    from monitor.storage import ResultRepository
    from tests.monitor._fakes import make_result

    dbs = [open_database(database_url) for _ in range(4)]
    errors: list[BaseException] = []

    def write(db: Database) -> None:
        try:
            for _ in range(10):
                with db.transaction() as session:
                    # Read first, then write: the pattern that deadlocks deferred transactions.
                    session.execute(text("SELECT count(*) FROM baselines")).scalar()
                    repo = ResultRepository(session)
                    run = repo.start_run(trigger="t", started_at=NOW)
                    repo.add_all(run.id, [make_result(), make_result("spf")])
                    repo.finish_run(run.id, finished_at=NOW, status="pass")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(db,)) for db in dbs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        with dbs[0].transaction() as session:
            assert session.execute(text("SELECT count(*) FROM results")).scalar() == 80
    finally:
        for db in dbs:
            db.dispose()
