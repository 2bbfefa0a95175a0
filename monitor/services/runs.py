"""Runs: the history of check and canary runs, for the CLI today and the HTTP API next."""

from __future__ import annotations

from monitor.app import App
from monitor.storage import RunLeases, RunRecord

__all__ = ["recent"]


def recent(app: App, limit: int = 20) -> list[RunRecord]:
    """The newest runs first, at most `limit`; opening the database has already marked runs
    whose process died as `interrupted`."""
    with app.database.transaction() as session:
        return RunLeases(session).recent(limit)
