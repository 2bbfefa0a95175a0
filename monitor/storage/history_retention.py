"""Deleting old bookkeeping that no result needs: fleet ticks and DMARC/TLS reports.

Two histories grow with time besides results. On PostgreSQL replicas, every fire of every
job leaves a `job_ticks` row and every DNS cycle its `cycle_batches` (hundreds a day at
scale); they explain who ran what, and after `retain_days` nobody asks. DMARC aggregate and
TLS-RPT reports grow with mail volume (a record per source and day per receiver); the weekly
figures read weeks, and a report older than `retain_days` is no longer read.

Only finished ticks go (an unfinished one may still be taken over). A report goes with its
records, and its input row when no report of that input is left; inputs that were rejected
or duplicates go by their own age. Each batch is its own transaction, as for results
(`monitor.storage.retention.delete_in_batches`).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.storage.dmarc_reports_models import (
    DmarcRecordRow,
    DmarcReportRow,
    DmarcSourceRow,
    ReportInputRow,
    TlsFailureRow,
    TlsReportRow,
)
from monitor.storage.engine import Database
from monitor.storage.fleet_models import CycleBatchRow, JobTickRow
from monitor.storage.retention import delete_in_batches

__all__ = ["delete_reports_before", "delete_ticks_before"]


def delete_ticks_before(db: Database, cutoff: dt.datetime, *, batch: int = 500) -> int:
    """Delete finished job ticks fired before `cutoff`, with their DNS batches; how many."""
    finished = (
        select(JobTickRow.id)
        .where(JobTickRow.fire_time < cutoff, JobTickRow.finished_at.is_not(None))
        .order_by(JobTickRow.id)
    )

    def remove(session: Session, ids: list[int]) -> None:
        session.execute(delete(CycleBatchRow).where(CycleBatchRow.tick_id.in_(ids)))
        session.execute(delete(JobTickRow).where(JobTickRow.id.in_(ids)))

    return delete_in_batches(db, finished, remove, batch=batch)


def delete_reports_before(db: Database, cutoff: dt.datetime, *, batch: int = 100) -> int:
    """Delete DMARC and TLS reports whose period ended before `cutoff` (with their records),
    then inputs received before `cutoff` that no report refers to, and sources no report
    since `cutoff` named; how many reports went."""
    deleted = 0
    for report, child, link in (
        (DmarcReportRow, DmarcRecordRow, DmarcRecordRow.report),
        (TlsReportRow, TlsFailureRow, TlsFailureRow.tls_report),
    ):
        ended = select(report.id).where(report.end < cutoff).order_by(report.id)
        remove = functools.partial(_remove_reports, report=report, child=child, link=link)
        deleted += delete_in_batches(db, ended, remove, batch=batch)
    referenced = select(DmarcReportRow.input_id).union(select(TlsReportRow.input_id))
    orphans = (
        select(ReportInputRow.id)
        .where(ReportInputRow.received_at < cutoff, ReportInputRow.id.not_in(referenced))
        .order_by(ReportInputRow.id)
    )

    def remove_inputs(session: Session, ids: list[int]) -> None:
        session.execute(delete(ReportInputRow).where(ReportInputRow.id.in_(ids)))

    delete_in_batches(db, orphans, remove_inputs, batch=batch)
    with db.transaction() as session:  # each day lets about a day's sources go: one statement
        session.execute(
            delete(DmarcSourceRow).where(DmarcSourceRow.last_day < cutoff.astimezone(dt.UTC).date())
        )
    return deleted


def _remove_reports(
    session: Session, ids: list[int], *, report: Any, child: Any, link: Any
) -> None:
    """Delete reports `ids` of table `report` and their rows in `child` (joined by `link`)."""
    session.execute(delete(child).where(link.in_(ids)))
    session.execute(delete(report).where(report.id.in_(ids)))
