"""Storage classifies database faults into `DatabaseProblem`s and leaves bugs as they are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from monitor.errors import ExitCode, UserFacingError
from monitor.storage import (
    Database,
    DatabaseCorrupt,
    DatabaseProblem,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    ResultRepository,
    open_database,
)
from monitor.storage.faults import sqlite_path
from monitor.storage.migrate import head_revisions
from tests.monitor._broken_db import corrupt_table, fingerprint, migrated_sqlite, stamp_future
from tests.support.postgres import PostgresServer

NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def test_every_database_problem_exits_4_and_old_callers_still_catch_unavailable() -> None:
    """One exit code for "the database cannot be used"; `DatabaseUnavailable` stays a
    `DatabaseProblem`, so code that caught it keeps working."""
    for kind in (DatabaseUnavailable, DatabaseReadOnly, DatabaseCorrupt, DatabaseTooNew):
        assert issubclass(kind, DatabaseProblem)
        assert kind("x").exit_code == ExitCode.DATABASE
    assert issubclass(DatabaseProblem, UserFacingError)


def test_newer_schema_is_refused_before_alembic_touches_it(tmp_path: Path) -> None:
    """Migrating a database a newer release wrote could drop what that release added; the
    refusal names both schemas and leaves the file byte for byte as it was."""
    path = stamp_future(migrated_sqlite(tmp_path / "s.db"))
    before = fingerprint(path)
    with pytest.raises(DatabaseTooNew) as caught:
        open_database(f"sqlite:///{path}")
    message = str(caught.value)
    assert message.startswith(f"database {path} has schema ")
    assert "9999_future" in message
    assert all(head in message for head in head_revisions())
    assert fingerprint(path) == before


def test_read_only_sqlite_is_found_before_the_first_write(tmp_path: Path) -> None:
    """A read-only SQLite file opens silently; open must say so, rather than a half run."""
    path = migrated_sqlite(tmp_path / "s.db")
    before = fingerprint(path)
    with pytest.raises(DatabaseReadOnly, match=r"is read-only \(attempt to write a readonly"):
        open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert fingerprint(path) == before


def test_damage_inside_a_transaction_becomes_a_database_problem(tmp_path: Path) -> None:
    """Torn pages in a table the open never reads surface mid-transaction, named like any
    other fault (file and remedy), and the transaction is rolled back."""
    path = corrupt_table(migrated_sqlite(tmp_path / "s.db"), "results")
    db = open_database(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseCorrupt) as caught, db.transaction() as session:
            ResultRepository(session).latest_measured_all()
        assert str(caught.value).startswith(f"database {path} is damaged (")
        assert isinstance(caught.value.__cause__, Exception)
    finally:
        db.dispose()


def test_a_sql_mistake_is_not_disguised_as_a_database_fault(database: Database) -> None:
    """Bad SQL is a bug in senderwatch: it must stay loud, not read as "database broken"."""
    with pytest.raises(Exception) as caught, database.transaction() as session:
        session.execute(text("SELECT * FROM no_such_table"))
    assert not isinstance(caught.value, DatabaseProblem)


def test_sqlite_uri_names_the_file_not_the_uri(tmp_path: Path) -> None:
    """Messages name the file a person can look at, whatever URL form reached it."""
    assert sqlite_path(f"sqlite:///file:{tmp_path}/a.db?mode=ro&uri=true") == tmp_path / "a.db"
    assert sqlite_path(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db"
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None


@pytest.mark.postgres
def test_read_only_postgresql_is_refused_at_open(postgres: PostgresServer) -> None:
    """A standby or a read-only default transaction is told at open, not at the first insert."""
    url = postgres.create_schema("ro_probe")
    open_database(url).dispose()
    read_only = url + "%20-cdefault_transaction_read_only%3Don"
    with pytest.raises(DatabaseReadOnly, match="transaction_read_only is on"):
        open_database(read_only)


@pytest.mark.postgres
def test_lost_postgresql_connection_mid_transaction_is_a_database_problem(
    postgres: PostgresServer,
) -> None:
    """The server ending our session (restart, failover) is a fault with the URL, not a
    traceback."""
    url = postgres.create_schema("killed_session")
    db = open_database(url)
    try:
        with pytest.raises(DatabaseUnavailable) as caught, db.transaction() as session:
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        assert "killed_session" in str(caught.value)
        assert isinstance(caught.value.__cause__, OperationalError)
    finally:
        db.dispose()
