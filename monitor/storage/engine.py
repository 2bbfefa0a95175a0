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
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from monitor.storage.faults import (
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    classify,
    describe_location,
    problem,
    redacted_url,
    sqlite_path,
)

__all__ = ["Database", "DatabaseUnavailable", "announce_created", "make_engine", "redacted_url"]

SQLITE_BUSY_TIMEOUT_MS = 10_000


def announce_created(path: Path) -> None:
    """Say on stderr where a new SQLite database was put, so its place is never a guess."""
    sys.stderr.write(f"senderwatch: created database {path}\n")


def _json_dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets the connect-time settings described above.

    Raises:
        DatabaseUnavailable: the URL's driver is not installed (e.g. psycopg for PostgreSQL).
    """
    parsed = make_url(url)
    path = sqlite_path(url)
    if path is not None and parsed.query.get("mode") != "ro":
        _make_folder(path)
    try:
        # default=str: a check that put bytes or a datetime in its evidence must not lose the
        # whole run at commit time; serialising once here spares a JSON round trip per value.
        engine = create_engine(url, json_serializer=_json_dumps)
    except ModuleNotFoundError as exc:
        hint = " (install senderwatch[postgres])" if "psycopg" in str(exc) else ""
        raise DatabaseUnavailable(
            f"database {redacted_url(url)} cannot be opened: driver missing: {exc.name}{hint}"
        ) from None
    except NoSuchModuleError:
        raise DatabaseUnavailable(
            f"database {redacted_url(url)} cannot be opened: no dialect or driver "
            f"{parsed.drivername!r}; fix the scheme of [database] url"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _make_folder(path: Path) -> None:
    """Create the SQLite file's folder on first use (a fresh install must just work)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"database {path} cannot be created: its folder cannot be made "
            f"({exc.strerror or exc}); "
            "create it, or set [database] url to a writable location"
        ) from None


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

    Every fault the database itself causes (see `monitor.storage.faults`) leaves this class
    as a `DatabaseProblem` naming the file or server; errors that are bugs (a constraint, bad
    SQL) leave as they are.

    Usage:
        db = Database(settings.database.url)
        db.upgrade()
        with db.transaction() as session:
            ...  # committed on success, rolled back on exception
    """

    def __init__(
        self, url: str, *, on_create: Callable[[Path], None] | None = announce_created
    ) -> None:
        """`on_create` is told the path when `upgrade` has created a new SQLite file."""
        self.url = url
        self.where = describe_location(url)
        path = sqlite_path(url)
        self._new_file = path if path is not None and not path.exists() else None
        self._on_create = on_create
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        return redacted_url(self.url)

    def upgrade(self, revision: str = "heads", *, isolated: bool = False) -> None:
        """Apply every pending migration (all branches: other parts add their own heads).

        Checks first, writing nothing, that the database takes writes and that its schema is
        not newer than this code's, so a read-only or newer database is left as it was.

        Args:
            isolated: when migrations are pending, apply them in a child process
                (`monitor.storage.migrate_child`), so this process never imports Alembic.
                For the daemon, which would otherwise carry it for as long as it runs. If
                the child fails, the upgrade is repeated here to raise the precise problem.

        Raises:
            DatabaseProblem: unreachable, read-only, damaged, or a newer schema.
        """
        from monitor.storage.migrate import SchemaTooNew, is_current, upgrade

        with self.faults():
            self.check_writable()
            if isolated and revision == "heads" and not is_current(self.engine):
                _upgrade_in_child(self.url)
            try:
                upgrade(self.engine, revision)
            except SchemaTooNew as exc:
                raise problem(
                    DatabaseTooNew,
                    self.where,
                    f"has schema {', '.join(exc.found)}, newer than this senderwatch "
                    f"(which knows up to {', '.join(exc.known)})",
                    "",
                    "upgrade senderwatch, or set [database] url to another database",
                ) from None
        if self._new_file is not None and self._new_file.exists():
            if self._on_create is not None:
                self._on_create(self._new_file)
            self._new_file = None

    def check_writable(self) -> None:
        """Fail now, before anything is written, if the database refuses writes.

        SQLite opens a read-only file (file mode, read-only mount, `?mode=ro`) without a word
        and even grants `BEGIN IMMEDIATE`; only a page write tells. Rewriting the header's
        `user_version` with its own value is such a write, and the rollback leaves the file
        untouched. PostgreSQL says so itself (a standby, `default_transaction_read_only`).

        Raises:
            DatabaseReadOnly: writes would fail.
        """
        with self.faults(), self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                transaction = connection.begin()
                try:
                    version = int(connection.exec_driver_sql("PRAGMA user_version").scalar() or 0)
                    connection.exec_driver_sql(f"PRAGMA user_version = {version}")
                finally:
                    transaction.rollback()
            elif connection.dialect.name == "postgresql":
                read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar()
                if read_only == "on":
                    raise problem(
                        DatabaseReadOnly,
                        self.where,
                        "is read-only",
                        "transaction_read_only is on",
                        "point [database] url at the primary server, or allow writes",
                    )

    def revisions(self) -> tuple[str, ...]:
        """The migration revisions the database is at (empty for a new database).

        Raises:
            DatabaseProblem: the database cannot be reached or read.
        """
        from monitor.storage.migrate import current_revisions

        with self.faults():
            return current_revisions(self.engine)

    @contextlib.contextmanager
    def faults(self) -> Iterator[None]:
        """Turn a driver error the database caused into its `DatabaseProblem`."""
        try:
            yield
        except DBAPIError as exc:
            translated = classify(exc, self.where)
            if translated is None:
                raise
            raise translated from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all.

        Raises:
            DatabaseProblem: the database failed under the transaction (went read-only,
                damaged pages found, server gone); the transaction is rolled back.
        """
        with self.faults(), self._sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _upgrade_in_child(url: str) -> None:
    """Run the migrations in a child interpreter; a failure there is left for the caller's
    own upgrade to raise with its precise type (it finds the same pending migrations)."""
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "monitor.storage.migrate_child"],
        input=url,
        text=True,
        capture_output=True,
        check=False,
    )
