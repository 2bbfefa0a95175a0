"""Deleting old results in batches, keeping everything that explains the present.

Two kinds of deletion, both run by the daily retention job (monitor.services.retention):

- `delete_results_before`: results older than `retain_days`;
- `thin_repeated_results`: a result older than `RAW_KEEP` that said exactly what the result
  before it and the one after it said (same `content_hash`) is a repeat: it is deleted, so a
  domain checked every 15 minutes keeps one row where its posture changed and one where it
  was last seen so, not 35,000 identical rows a year. What each day looked like stays in the
  per-day rollups (`result_days`), counted when the results were stored.

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
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.orm import Session

from monitor.storage.canary_models import CanaryMessageRow
from monitor.storage.engine import Database
from monitor.storage.models import BaselineRow, DriftRow, ResultRow
from monitor.storage.report_models import ResultDayRow

__all__ = [
    "RAW_KEEP",
    "delete_days_before",
    "delete_in_batches",
    "delete_results_before",
    "thin_repeated_results",
]

RAW_KEEP = dt.timedelta(days=3)
"""Every result stays whole this long; after that only changes and ends of streaks stay."""


def delete_in_batches(
    db: Database,
    ids: Select[Any],
    remove: Callable[[Session, list[int]], None],
    *,
    batch: int,
) -> int:
    """Take `batch` ids at a time from `ids` (ordered, unlimited) and `remove` them, each
    batch in its own transaction, until none is left; how many ids were removed."""
    deleted = 0
    while True:
        with db.transaction() as session:
            found = list(session.scalars(ids.limit(batch)))
            if not found:
                return deleted
            remove(session, found)
            deleted += len(found)


def delete_results_before(db: Database, cutoff: dt.datetime, *, batch: int = 500) -> int:
    """Delete results started before `cutoff` that no drift or baseline references.

    Returns:
        How many result rows were deleted.
    """
    old = (
        select(ResultRow.id)
        .where(
            ResultRow.started_at < cutoff,
            ResultRow.id.not_in(select(DriftRow.result_id)),
            ResultRow.id.not_in(
                select(BaselineRow.result_id).where(BaselineRow.result_id.is_not(None))
            ),
        )
        .order_by(ResultRow.id)
    )
    return delete_in_batches(db, old, _remove_results, batch=batch)


def _remove_results(session: Session, ids: list[int]) -> None:
    session.execute(
        update(CanaryMessageRow).where(CanaryMessageRow.result_id.in_(ids)).values(result_id=None)
    )
    session.execute(delete(ResultRow).where(ResultRow.id.in_(ids)))


def thin_repeated_results(db: Database, before: dt.datetime, *, batch: int = 500) -> int:
    """Delete repeats started before `before`: rows whose previous and next rows of the same
    (check, subject, environment) carry the same `content_hash`.

    The first and the last row of every streak stay (when the state began, when it was last
    seen), and so does any row a drift, a baseline or a canary points at. One key at a time,
    reading only ids and hashes, and at most `batch` rows deleted per transaction.

    Returns:
        How many result rows were deleted.
    """
    with db.transaction() as session:
        keys = session.execute(
            select(ResultRow.check, ResultRow.subject, ResultRow.environment)
            .where(ResultRow.started_at < before, ResultRow.content_hash.is_not(None))
            .distinct()
        ).all()
    deleted = 0
    for check, subject, environment in keys:
        with db.transaction() as session:
            doomed = _repeats(session, _same_key(check, subject, environment), before)
        for start in range(0, len(doomed), batch):
            chunk = doomed[start : start + batch]
            with db.transaction() as session:
                kept = _referenced(session, chunk)
                gone = [i for i in chunk if i not in kept]
                session.execute(delete(ResultRow).where(ResultRow.id.in_(gone)))
                deleted += len(gone)
    return deleted


def _same_key(check: str, subject: str, environment: str | None) -> ColumnElement[bool]:
    env = (
        ResultRow.environment.is_(None)
        if environment is None
        else ResultRow.environment == environment
    )
    return (ResultRow.check == check) & (ResultRow.subject == subject) & env


def _repeats(session: Session, key: ColumnElement[bool], before: dt.datetime) -> list[int]:
    """Ids of rows in the middle of a streak of equal hashes, started before `before`."""
    rows = session.execute(
        select(ResultRow.id, ResultRow.content_hash, ResultRow.started_at)
        .where(key)
        .order_by(ResultRow.id)
    ).all()
    return [
        rows[i].id
        for i in range(1, len(rows) - 1)
        if rows[i].started_at < before
        and rows[i].content_hash is not None
        and rows[i - 1].content_hash == rows[i].content_hash == rows[i + 1].content_hash
    ]


def _referenced(session: Session, ids: list[int]) -> set[int]:
    """Of `ids`, those a drift, a baseline or a canary row points at."""
    found: set[int] = set()
    for column in (DriftRow.result_id, BaselineRow.result_id, CanaryMessageRow.result_id):
        found.update(session.scalars(select(column).where(column.in_(ids))))
    return found


def delete_days_before(db: Database, cutoff: dt.datetime) -> int:
    """Delete the per-day rollups of days before `cutoff`'s UTC date; how many rows went."""
    with db.transaction() as session:
        done = session.execute(
            delete(ResultDayRow).where(ResultDayRow.day < cutoff.astimezone(dt.UTC).date())
        )
        return int(getattr(done, "rowcount", 0) or 0)
