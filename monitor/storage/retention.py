"""Deleting old results in batches, keeping everything that explains the present.

A result row is kept, however old, while a drift or a baseline points at it: drift rows are
the history of what changed (and need their result), and a baseline names the result it was
approved from. Approvals, alert history and the outbox do not reference results. A sent
canary's row stays too; only its link to a deleted result is cleared.

Each batch is its own transaction, so a large first clean-up never holds the database (a
SQLite writer lock, a long PostgreSQL transaction) for long, and an interrupted clean-up
keeps the batches it finished.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from monitor.storage.canary_models import CanaryMessageRow
from monitor.storage.engine import Database
from monitor.storage.models import BaselineRow, DriftRow, ResultRow

__all__ = ["delete_results_before"]


def delete_results_before(db: Database, cutoff: dt.datetime, *, batch: int = 500) -> int:
    """Delete results started before `cutoff` that no drift or baseline references.

    Returns:
        How many result rows were deleted.
    """
    deleted = 0
    while True:
        with db.transaction() as session:
            ids = list(
                session.scalars(
                    select(ResultRow.id)
                    .where(
                        ResultRow.started_at < cutoff,
                        ResultRow.id.not_in(select(DriftRow.result_id)),
                        ResultRow.id.not_in(
                            select(BaselineRow.result_id).where(BaselineRow.result_id.is_not(None))
                        ),
                    )
                    .order_by(ResultRow.id)
                    .limit(batch)
                )
            )
            if not ids:
                return deleted
            session.execute(
                update(CanaryMessageRow)
                .where(CanaryMessageRow.result_id.in_(ids))
                .values(result_id=None)
            )
            session.execute(delete(ResultRow).where(ResultRow.id.in_(ids)))
            deleted += len(ids)
