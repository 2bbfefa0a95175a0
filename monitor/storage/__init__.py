"""Storage: the only package that speaks SQL. Everything else passes plain objects.

    Database            engine + transactions + migrations for one URL   (engine.py)
    ResultRepository    runs and results                                 (results.py)
    RunLeases           leases of running runs; marking dead ones        (runs.py)
    BaselineRepository  approved observations, with history              (baselines.py)
    DriftRepository     drift rows, open drift                           (drifts.py)

Repositories work inside the caller's transaction (`with db.transaction() as session`), so
a run's results, baselines and drifts are committed together or not at all.

Exceptions (faults.py; all exit 4):
    DatabaseProblem         the database cannot be used; one line, nothing written
      DatabaseUnavailable   cannot be opened or reached (driver missing, server down)
      DatabaseReadOnly      refuses writes
      DatabaseCorrupt       not a database, or damaged pages
      DatabaseTooNew        schema from a newer senderwatch
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monitor.storage.baselines import Baseline, BaselineDraft, BaselineKey, BaselineRepository
from monitor.storage.drifts import DriftRepository, StoredDrift
from monitor.storage.engine import Database, announce_created
from monitor.storage.faults import (
    DatabaseCorrupt,
    DatabaseProblem,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    redacted_url,
)
from monitor.storage.results import KeyFilter, ResultRepository, StoredResult
from monitor.storage.runs import INTERRUPTED, RunLeases, RunRecord

__all__ = [
    "INTERRUPTED",
    "Baseline",
    "BaselineDraft",
    "BaselineKey",
    "BaselineRepository",
    "Database",
    "DatabaseCorrupt",
    "DatabaseProblem",
    "DatabaseReadOnly",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "DriftRepository",
    "KeyFilter",
    "ResultRepository",
    "RunLeases",
    "RunRecord",
    "StoredDrift",
    "StoredResult",
    "announce_created",
    "open_database",
    "redacted_url",
]


def open_database(
    url: str,
    *,
    upgrade: bool = True,
    isolated_migrations: bool = False,
    on_create: Callable[[Path], None] | None = announce_created,
) -> Database:
    """Open the database at `url` and (by default) apply pending migrations first.

    Args:
        url: any SQLAlchemy URL.
        upgrade: migrate to the newest schema (refusing a read-only or newer database), then
            mark runs whose process died as interrupted (monitor.storage.runs).
        isolated_migrations: apply pending migrations in a child process (the daemon: see
            `Database.upgrade`).
        on_create: called with the path when the upgrade created a new SQLite file.

    Raises:
        DatabaseProblem: unreachable, read-only, damaged, or a newer schema; nothing written.
    """
    db = Database(url, on_create=on_create)
    if upgrade:
        try:
            db.upgrade(isolated=isolated_migrations)
            with db.transaction() as session:
                RunLeases(session).mark_interrupted()
        except BaseException:
            db.dispose()
            raise
    return db
