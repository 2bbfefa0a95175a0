"""Engine and transactions: one `Database` handle per process, any SQLAlchemy URL.

SQLite is the default because it needs no server; PostgreSQL is what several replicas share.
Both behave the same to the code above, which is why SQLite is tuned at connect time rather
than in the schema:

- `journal_mode=WAL`: the daemon writes while `senderwatch baseline show` reads.
- `foreign_keys=ON`: SQLite ignores foreign keys unless asked, PostgreSQL never does; a test
  that passes on one must not fail on the other.
- `busy_timeout`: a second writer waits for the lock instead of failing at once.
- Transactions start with `BEGIN IMMEDIATE`: pysqlite's own transaction handling neither
  wraps DDL (a half-applied migration would stay) nor takes the write lock up front (two
  writers that both read first deadlock, and WAL fails the loser without waiting). Taking
  the lock when the transaction begins serialises writers through `busy_timeout`, as
  PostgreSQL's row locks do.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "DatabaseUnavailable", "make_engine", "redacted_url"]

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _json_dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


class DatabaseUnavailable(Exception):
    """The database cannot be opened (driver missing, server unreachable, bad path)."""


def redacted_url(url: str) -> str:
    """The URL with its password masked, safe for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets the connect-time settings described above.

    Raises:
        DatabaseUnavailable: the URL's driver is not installed (e.g. psycopg for PostgreSQL).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        # default=str: a check that put bytes or a datetime in its evidence must not lose the
        # whole run at commit time; serialising once here spares a JSON round trip per value.
        engine = create_engine(url, json_serializer=_json_dumps)
    except ModuleNotFoundError as exc:
        hint = " (install senderwatch[postgres])" if "psycopg" in str(exc) else ""
        raise DatabaseUnavailable(
            f"{redacted_url(url)}: database driver missing: {exc.name}{hint}"
        ) from None
    except NoSuchModuleError:
        raise DatabaseUnavailable(
            f"{redacted_url(url)}: SQLAlchemy has no dialect or driver {parsed.drivername!r}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to the "begin" listener (see module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database: its engine, its sessions, its migrations.

    Usage:
        db = Database(settings.database.url)
        db.upgrade()
        with db.transaction() as session:
            ...  # committed on success, rolled back on exception
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        return redacted_url(self.url)

    def upgrade(self, revision: str = "heads") -> None:
        """Apply every pending migration (all branches: other parts add their own heads).

        Raises:
            DatabaseUnavailable: the database cannot be reached or written.
        """
        from monitor.storage.migrate import upgrade

        with self._unavailable_on_error():
            upgrade(self.engine, revision)

    def revisions(self) -> tuple[str, ...]:
        """The migration revisions the database is at (empty for a new database).

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        from monitor.storage.migrate import current_revisions

        with self._unavailable_on_error():
            return current_revisions(self.engine)

    @contextlib.contextmanager
    def _unavailable_on_error(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            detail = str(exc.orig or exc).strip().splitlines() or [type(exc).__name__]
            raise DatabaseUnavailable(f"{self.display_url}: {detail[0]}") from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        with self._sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
