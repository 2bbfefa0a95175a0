"""Retention: the one entry point for deleting old results (the daemon's retention job)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from monitor.app import App

__all__ = ["Purged", "purge"]


@dataclasses.dataclass(frozen=True, slots=True)
class Purged:
    """How many rows one retention pass deleted, by kind."""

    results: int  # older than retain_days, or repeats thinned
    ticks: int  # finished replica job ticks (PostgreSQL fleets), with their DNS batches
    reports: int  # DMARC aggregate and TLS-RPT reports, with their records


def purge(app: App, *, retain_days: int, batch: int = 500) -> Purged:
    """Delete results older than `retain_days`, then thin repeated results older than a few
    days, in batches of `batch`; likewise old fleet ticks and DMARC/TLS reports.

    Baselines, drift, approvals, alert history and the results they point at stay, and so do
    the per-day rollups the weekly report reads (monitor.storage.retention).

    Raises:
        DatabaseProblem: the database cannot be used.
    """
    from monitor.storage.history_retention import delete_reports_before, delete_ticks_before
    from monitor.storage.retention import (
        RAW_KEEP,
        delete_days_before,
        delete_results_before,
        thin_repeated_results,
    )

    now = app.clock()
    cutoff = now - dt.timedelta(days=retain_days)
    db = app.database
    deleted = delete_results_before(db, cutoff, batch=batch)
    delete_days_before(db, cutoff)
    deleted += thin_repeated_results(db, now - RAW_KEEP, batch=batch)
    ticks = delete_ticks_before(db, cutoff, batch=batch)
    reports = delete_reports_before(db, cutoff, batch=max(1, batch // 5))
    return Purged(deleted, ticks, reports)
