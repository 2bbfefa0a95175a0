"""Deleting old bookkeeping that no result needs: fleet ticks and DMARC/TLS reports.

Two histories grow with time besides results. On PostgreSQL replicas, every fire of every
job leaves a `job_ticks` row and every DNS cycle its `cycle_batches` (hundreds a day at
scale); they explain who ran what, and after `retain_days` nobody asks. DMARC aggregate and
TLS-RPT reports grow with mail volume (a record per source and day per receiver); the weekly
figures read weeks, and a report older than `retain_days` is no longer read.

Only finished ticks go (an unfinished one may still be taken over). A report goes with its
records, and its input row when no report of that input is left; inputs that were rejected
or duplicates go by their own age. Each batch is its own transaction, as for results.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from monitor.storage.dmarc_reports_models import (
    DmarcRecordRow,
    DmarcReportRow,
    ReportInputRow,
    TlsFailureRow,
    TlsReportRow,
)
from monitor.storage.engine import Database
from monitor.storage.fleet_models import CycleBatchRow, JobTickRow

__all__ = ["delete_reports_before", "delete_ticks_before"]


def delete_ticks_before(db: Database, cutoff: dt.datetime, *, batch: int = 500) -> int:
    """Delete finished job ticks fired before `cutoff`, with their DNS batches; how many."""
    deleted = 0
    while True:
        with db.transaction() as session:
            ids = list(
                session.scalars(
                    select(JobTickRow.id)
                    .where(JobTickRow.fire_time < cutoff, JobTickRow.finished_at.is_not(None))
                    .order_by(JobTickRow.id)
                    .limit(batch)
                )
            )
            if not ids:
                return deleted
            session.execute(delete(CycleBatchRow).where(CycleBatchRow.tick_id.in_(ids)))
            session.execute(delete(JobTickRow).where(JobTickRow.id.in_(ids)))
            deleted += len(ids)


def delete_reports_before(db: Database, cutoff: dt.datetime, *, batch: int = 100) -> int:
    """Delete DMARC and TLS reports whose period ended before `cutoff` (with their records),
    then inputs received before `cutoff` that no report refers to; how many reports went."""
    deleted = 0
    for report, child, link in (
        (DmarcReportRow, DmarcRecordRow, DmarcRecordRow.report),
        (TlsReportRow, TlsFailureRow, TlsFailureRow.tls_report),
    ):
        while True:
            with db.transaction() as session:
                ids = list(
                    session.scalars(
                        select(report.id)
                        .where(report.end < cutoff)
                        .order_by(report.id)
                        .limit(batch)
                    )
                )
                if not ids:
                    break
                session.execute(delete(child).where(link.in_(ids)))
                session.execute(delete(report).where(report.id.in_(ids)))
                deleted += len(ids)
    _delete_orphan_inputs(db, cutoff, batch)
    return deleted


def _delete_orphan_inputs(db: Database, cutoff: dt.datetime, batch: int) -> None:
    referenced = select(DmarcReportRow.input_id).union(select(TlsReportRow.input_id))
    while True:
        with db.transaction() as session:
            ids = list(
                session.scalars(
                    select(ReportInputRow.id)
                    .where(
                        ReportInputRow.received_at < cutoff,
                        ReportInputRow.id.not_in(referenced),
                    )
                    .order_by(ReportInputRow.id)
                    .limit(batch)
                )
            )
            if not ids:
                return
            session.execute(delete(ReportInputRow).where(ReportInputRow.id.in_(ids)))
