"""Runs: the history of check and canary runs, for the CLI today and the HTTP API next."""

from __future__ import annotations

import datetime as dt

from monitor.app import App
from monitor.storage import RunLeases, RunRecord

__all__ = ["interrupt_unfinished", "recent"]


def recent(app: App, limit: int = 20) -> list[RunRecord]:
    """The newest runs first, at most `limit`; opening the database has already marked runs
    whose process died as `interrupted`."""
    with app.database.transaction() as session:
        return RunLeases(session).recent(limit)


def interrupt_unfinished(app: App, *, trigger: str, since: dt.datetime) -> list[int]:
    """Mark this process's runs still going at shutdown `interrupted` (the daemon, cutting
    off jobs that outlived `shutdown_timeout`); their ids. On SQLite the daemon's lock makes
    "runs with this trigger since the daemon started" exactly its own."""
    with app.database.transaction() as session:
        leases = RunLeases(session)
        ids = leases.unfinished(trigger, since)
        return [run_id for run_id in ids if leases.interrupt(run_id)]
