"""Storage: the only package that speaks SQL. Everything else passes plain objects.

    Database            engine + transactions + migrations for one URL   (engine.py)
    ResultRepository    runs and results                                 (results.py)
    BaselineRepository  approved observations, with history              (baselines.py)
    DriftRepository     drift rows, open drift                           (drifts.py)

Repositories work inside the caller's transaction (`with db.transaction() as session`), so
a run's results, baselines and drifts are committed together or not at all.

Exceptions:
    DatabaseUnavailable     the database cannot be opened (driver missing, unreachable)
"""

from monitor.storage.baselines import Baseline, BaselineDraft, BaselineKey, BaselineRepository
from monitor.storage.drifts import DriftRepository, StoredDrift
from monitor.storage.engine import Database, DatabaseUnavailable, redacted_url
from monitor.storage.results import KeyFilter, ResultRepository, RunRecord, StoredResult

__all__ = [
    "Baseline",
    "BaselineDraft",
    "BaselineKey",
    "BaselineRepository",
    "Database",
    "DatabaseUnavailable",
    "DriftRepository",
    "KeyFilter",
    "ResultRepository",
    "RunRecord",
    "StoredDrift",
    "StoredResult",
    "open_database",
    "redacted_url",
]


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """Open the database at `url` and (by default) apply pending migrations first.

    Raises:
        DatabaseUnavailable: the driver is missing or the database cannot be reached.
    """
    db = Database(url)
    if upgrade:
        try:
            db.upgrade()
        except DatabaseUnavailable:
            db.dispose()
            raise
    return db
