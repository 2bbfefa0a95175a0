"""What `/metrics` reads from the database at scrape time, in a few aggregate queries.

Kept here because storage is the only package that speaks SQL; the Prometheus collector
(`monitor.daemon.metrics`) turns these plain values into metric families.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.storage.alerts_models import AlertStateRow, NotificationRow
from monitor.storage.canary_models import CanaryMessageRow
from monitor.storage.models import ResultRow
from monitor.storage.run_requests import QUEUED, RunRequestRow

__all__ = ["CheckSample", "MetricsSnapshot", "snapshot"]

_FIRING = "firing"  # alerts.event.AlertState.FIRING
_OUTBOX_PENDING = "pending"  # alerts.outbox status of an undelivered notification


@dataclasses.dataclass(frozen=True, slots=True)
class CheckSample:
    """The newest result of one (check, subject, environment)."""

    check: str
    subject: str
    environment: str | None
    status: str
    duration_s: float
    started_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    checks: tuple[CheckSample, ...]
    canary_latencies: dict[str, tuple[float, ...]]  # environment → sent-to-received seconds
    alerts_firing: int
    outbox_depth: int
    outbox_oldest: dt.datetime | None
    runs_queued: int


def snapshot(session: Session) -> MetricsSnapshot:
    """Everything the collector needs, read in one transaction."""
    newest = select(func.max(ResultRow.id)).group_by(
        ResultRow.check, ResultRow.subject, ResultRow.environment
    )
    rows = session.execute(
        select(
            ResultRow.check,
            ResultRow.subject,
            ResultRow.environment,
            ResultRow.status,
            ResultRow.duration_s,
            ResultRow.started_at,
        )
        .where(ResultRow.id.in_(newest))
        .order_by(ResultRow.check, ResultRow.subject, ResultRow.environment)
    )
    checks = tuple(CheckSample(*row) for row in rows)
    latencies: dict[str, list[float]] = {}
    delivered = session.execute(
        select(
            CanaryMessageRow.environment, CanaryMessageRow.sent_at, CanaryMessageRow.received_at
        ).where(CanaryMessageRow.received_at.is_not(None))
    )  # late arrivals too (undelivered within the run's timeout, found by the sweep): the tail
    for environment, sent_at, received_at in delivered:
        if received_at is None:  # excluded by the query; keeps the type checker informed
            continue
        seconds = max(0.0, (received_at - sent_at).total_seconds())
        latencies.setdefault(environment, []).append(seconds)
    firing = session.scalar(
        select(func.count()).select_from(AlertStateRow).where(AlertStateRow.state == _FIRING)
    )
    depth, oldest = session.execute(
        select(func.count(), func.min(NotificationRow.created_at)).where(
            NotificationRow.status == _OUTBOX_PENDING
        )
    ).one()
    queued = session.scalar(
        select(func.count()).select_from(RunRequestRow).where(RunRequestRow.state == QUEUED)
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)  # aggregates bypass the column's type
    return MetricsSnapshot(
        checks=checks,
        canary_latencies={env: tuple(values) for env, values in latencies.items()},
        alerts_firing=int(firing or 0),
        outbox_depth=int(depth or 0),
        outbox_oldest=oldest,
        runs_queued=int(queued or 0),
    )
