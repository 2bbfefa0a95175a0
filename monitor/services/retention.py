"""Retention: the one entry point for deleting old results (the daemon's retention job)."""

from __future__ import annotations

import datetime as dt

from monitor.app import App

__all__ = ["purge"]


def purge(app: App, *, retain_days: int, batch: int = 500) -> int:
    """Delete results older than `retain_days` in batches of `batch`; how many went.

    Baselines, drift, approvals, alert history and the results they point at stay
    (monitor.storage.retention).

    Raises:
        DatabaseProblem: the database cannot be used.
    """
    from monitor.storage.retention import delete_results_before

    cutoff = app.clock() - dt.timedelta(days=retain_days)
    return delete_results_before(app.database, cutoff, batch=batch)
