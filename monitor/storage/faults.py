"""Database faults a person can act on, told in one line, never as a traceback.

Exception tree (all exit 4, `monitor.errors.ExitCode.DATABASE`):

    UserFacingError                  monitor.errors
      └── DatabaseProblem            the database cannot be used; nothing was written
            ├── DatabaseUnavailable  cannot be opened or reached: driver missing, server down,
            │                        file cannot be created, disk full, locked too long
            ├── DatabaseReadOnly     opens, but refuses writes (file mode, read-only mount,
            │                        `?mode=ro`, a read-only PostgreSQL transaction or role)
            ├── DatabaseCorrupt      not a SQLite database, or damaged pages
            └── DatabaseTooNew       its schema was written by a newer senderwatch

Each message reads `database <where> <what is wrong> (<driver's words>); <what to do>`.
`<where>` is the SQLite file's path, or the server URL with its password masked.

`classify` turns a driver error (SQLAlchemy wrapping sqlite3 or psycopg) into one of these, or
returns None for errors that are bugs (a constraint violated, bad SQL): those must stay loud.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from monitor.errors import ExitCode, UserFacingError

__all__ = [
    "DatabaseCorrupt",
    "DatabaseProblem",
    "DatabaseReadOnly",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "classify",
    "describe_location",
    "problem",
    "redacted_url",
    "sqlite_path",
]


class DatabaseProblem(UserFacingError):
    """The database cannot be used as it is; the message says why and what to do."""

    exit_code = ExitCode.DATABASE


class DatabaseUnavailable(DatabaseProblem):
    """The database cannot be opened or reached (driver missing, server down, bad path)."""


class DatabaseReadOnly(DatabaseProblem):
    """The database opens but refuses writes; senderwatch writes on every command."""


class DatabaseCorrupt(DatabaseProblem):
    """The file is not a SQLite database, or its pages are damaged."""


class DatabaseTooNew(DatabaseProblem):
    """The schema comes from a newer senderwatch; migrating or writing could lose its data."""


_SERVER_ADVICE = "check that the server is running and that [database] url is right"
_READ_ONLY_ADVICE = (
    "make the database (and its folder) writable for the user running senderwatch, "
    "or set [database] url to a writable location"
)
_CORRUPT_ADVICE = "restore it from a backup, or move it aside and senderwatch starts a new one"
_NOT_DB_ADVICE = "set [database] url to the right file, or move this one aside"

# SQLite primary result codes (the low byte of `sqlite3.Error.sqlite_errorcode`).
_SQLITE_PROBLEMS: dict[int, tuple[type[DatabaseProblem], str, str]] = {
    sqlite3.SQLITE_READONLY: (DatabaseReadOnly, "is read-only", _READ_ONLY_ADVICE),
    sqlite3.SQLITE_PERM: (DatabaseReadOnly, "may not be written", _READ_ONLY_ADVICE),
    sqlite3.SQLITE_CORRUPT: (DatabaseCorrupt, "is damaged", _CORRUPT_ADVICE),
    sqlite3.SQLITE_NOTADB: (DatabaseCorrupt, "is not a SQLite database", _NOT_DB_ADVICE),
    sqlite3.SQLITE_CANTOPEN: (
        DatabaseUnavailable,
        "cannot be opened",
        "check that its folder exists and is writable for the user running senderwatch",
    ),
    sqlite3.SQLITE_FULL: (DatabaseUnavailable, "is full", "free disk space, then run again"),
    sqlite3.SQLITE_IOERR: (
        DatabaseUnavailable,
        "cannot be read or written (I/O error)",
        "check the disk and the file system it is on",
    ),
    sqlite3.SQLITE_BUSY: (
        DatabaseUnavailable,
        "stayed locked by another process",
        "run again once the other senderwatch command has finished",
    ),
}

# PostgreSQL SQLSTATEs (exact codes first, then their two-character class).
_PG_PROBLEMS: dict[str, tuple[type[DatabaseProblem], str, str]] = {
    "25006": (DatabaseReadOnly, "is read-only", _READ_ONLY_ADVICE),
    "42501": (DatabaseReadOnly, "refuses this role's writes", _READ_ONLY_ADVICE),
    "XX001": (DatabaseCorrupt, "is damaged", _CORRUPT_ADVICE),
    "XX002": (DatabaseCorrupt, "has a damaged index", "REINDEX it, or restore it from a backup"),
    "08": (DatabaseUnavailable, "cannot be reached", _SERVER_ADVICE),
    "57": (DatabaseUnavailable, "is shutting down or unavailable", _SERVER_ADVICE),
    "53": (
        DatabaseUnavailable,
        "is out of resources (disk, memory or connections)",
        _SERVER_ADVICE,
    ),
    "28": (DatabaseUnavailable, "refused the login", "check the user and password for the URL"),
    "3D": (DatabaseUnavailable, "does not exist on the server", "create it, or fix the URL"),
}


def redacted_url(url: str) -> str:
    """The URL with its password masked, safe for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (also `file:` URIs such as `...?mode=ro&uri=true`); None
    for servers and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if not database or database.startswith(":memory:"):
            return None
    if database in ("", ":memory:"):
        return None
    return Path(database).expanduser()


def describe_location(url: str) -> str:
    """Where a database is, for messages: the SQLite file, or the URL without its password."""
    path = sqlite_path(url)
    return str(path) if path is not None else redacted_url(url)


def problem(
    kind: type[DatabaseProblem], where: str, what: str, detail: str, advice: str
) -> DatabaseProblem:
    """One line: `database WHERE WHAT (DETAIL); ADVICE`."""
    shown = f" ({detail})" if detail else ""
    return kind(f"database {where} {what}{shown}; {advice}")


def classify(exc: BaseException, where: str) -> DatabaseProblem | None:
    """The `DatabaseProblem` a driver error means, or None when it is not the database's fault
    (an `IntegrityError`, bad SQL: bugs that must surface as they are)."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    detail = _first_line(orig if orig is not None else exc)
    found = _known_problem(orig)
    if found is not None:
        kind, what, advice = found
        return problem(kind, where, what, detail, advice)
    if isinstance(orig, sqlite3.Error) or getattr(orig, "sqlstate", None):
        return None  # a SQL error the server could name: a bug, not a fault of the database
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        # Refused, timed out or dropped before the server said anything: no code to go by.
        return problem(DatabaseUnavailable, where, "cannot be reached", detail, _SERVER_ADVICE)
    return None


def _known_problem(orig: BaseException | None) -> tuple[type[DatabaseProblem], str, str] | None:
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return _SQLITE_PROBLEMS.get(code & 0xFF) if isinstance(code, int) else None
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _PG_PROBLEMS.get(sqlstate) or _PG_PROBLEMS.get(sqlstate[:2])
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__
