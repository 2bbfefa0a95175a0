"""Retention: the one entry point for deleting old results (the daemon's retention job)."""

from __future__ import annotations

import datetime as dt

from monitor.app import App

__all__ = ["purge"]


def purge(app: App, *, retain_days: int, batch: int = 500) -> int:
    """Delete results older than `retain_days`, then thin repeated results older than a few
    days, in batches of `batch`; how many rows went in all.

    Baselines, drift, approvals, alert history and the results they point at stay, and so do
    the per-day rollups the weekly report reads (monitor.storage.retention).

    Raises:
        DatabaseProblem: the database cannot be used.
    """
    from monitor.storage.retention import (
        RAW_KEEP,
        delete_days_before,
        delete_results_before,
        thin_repeated_results,
    )

    now = app.clock()
    cutoff = now - dt.timedelta(days=retain_days)
    deleted = delete_results_before(app.database, cutoff, batch=batch)
    delete_days_before(app.database, cutoff)
    return deleted + thin_repeated_results(app.database, now - RAW_KEEP, batch=batch)
