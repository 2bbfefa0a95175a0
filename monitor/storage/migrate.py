"""Alembic, run from package data: `upgrade(engine)` needs no alembic.ini in the user's cwd.

Every command that touches the database calls `Database.upgrade()` first, and
`senderwatch db upgrade` does it on its own. We upgrade to "heads", not "head": the core
schema (0001_core) is the root, and each feature (alerts, canary) adds its own branch on it,
so there may be several heads at once.

On PostgreSQL the upgrade holds an advisory lock, so replicas that start together apply each
migration once; on SQLite `BEGIN IMMEDIATE` (see engine.py) does the same.

On SQLite, migrations run with foreign keys off, as SQLite's own procedure for altering a
table prescribes: Alembic's batch mode rebuilds a table (copy, drop, rename), and dropping a
table other rows reference fails while foreign keys are enforced. `PRAGMA foreign_key_check`
must come back empty before the commit, and the connection is discarded afterwards, so no
pooled connection ever runs with foreign keys off. The pragma only works outside a
transaction, hence on the driver's connection before the upgrade's `BEGIN IMMEDIATE`.

A database stamped by a newer senderwatch (a revision these scripts do not know) is refused
before Alembic runs: `SchemaTooNew`, which `Database.upgrade` turns into a one-line
`DatabaseTooNew`. Alembic itself would fail half way with "Can't locate revision".
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "SCHEMA_HEADS",
    "SchemaTooNew",
    "alembic_config",
    "current_revisions",
    "head_revisions",
    "is_current",
    "upgrade",
]

SCHEMA_HEADS: tuple[str, ...] = (
    "0004_run_lease",
    "0005_run_requests",
    "0008_alerts_once",
    "0008_replicas",
    "0011_result_references",
    "0012_result_days_by_day",
    "0013_dmarc_sources",
)
"""The heads the shipped migrations lead to, sorted; a test holds it equal to Alembic's own
answer. With it, opening an up-to-date database is one SELECT and never imports Alembic
(about 11 MB of a long-running daemon's memory, and time on every command)."""

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it names "senderwatch schema migration" among the server's locks.
_PG_LOCK_KEY = 0x5E4D_0001


class SchemaTooNew(Exception):
    """The database is at revisions these migrations do not know (a newer senderwatch)."""

    def __init__(self, found: tuple[str, ...], known: tuple[str, ...]) -> None:
        self.found, self.known = found, known
        super().__init__(f"database at {', '.join(found)}; this code knows {', '.join(known)}")


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def is_current(engine: Engine) -> bool:
    """Whether the database is at every shipped head (one read; Alembic is not loaded)."""
    with engine.connect() as connection:
        return _stamped(connection) == SCHEMA_HEADS


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database behind `engine` to `revision` (default: every head).

    Raises:
        SchemaTooNew: the database is at a revision these migrations do not know.
    """
    if revision == "heads" and is_current(engine):
        return  # the common case: one read, and Alembic need not load
    from alembic import command

    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                    )
                before = _refuse_unknown_revisions(connection)  # again, under the lock
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and _heads(connection) != before:  # a full scan: only after a change
                    _assert_foreign_keys_hold(connection)
        finally:
            if sqlite:
                connection.invalidate()  # never back to the pool with foreign keys off


def _stamped(connection: Connection) -> tuple[str, ...]:
    """The revisions in `alembic_version`, sorted, read with plain SQL (empty before the first
    migration): what Alembic's own `get_current_heads` reads, without loading Alembic."""
    if not inspect(connection).has_table("alembic_version"):
        return ()
    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
    return tuple(sorted(row[0] for row in rows))


def _heads(connection: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def _refuse_unknown_revisions(connection: Connection) -> tuple[str, ...]:
    """The database's current revisions, unless one is unknown here (a newer senderwatch)."""
    current = _heads(connection)
    if any(rev not in _known_revisions() for rev in current):
        raise SchemaTooNew(current, head_revisions())
    return current


@functools.cache
def _known_revisions() -> frozenset[str]:
    """Every revision the shipped scripts define (read once: they do not change at run time)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def _assert_foreign_keys_hold(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"a migration broke foreign keys (rolled back): {broken[:5]}")


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at (empty before the first migration)."""
    with engine.connect() as connection:
        return _stamped(connection)


@functools.cache
def head_revisions() -> tuple[str, ...]:
    """The revisions the shipped migrations lead to, as Alembic reads them from the scripts."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
