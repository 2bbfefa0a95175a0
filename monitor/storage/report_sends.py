"""Queueing a weekly report into the durable outbox, at most once per (week, channel).

The outbox row (`notifications`, reason `report`) and the `report_sends` row are written in
one transaction; the unique index on `report_sends (week, channel)` is what refuses a second
one, whoever writes it (a re-run, a second replica, the CLI after the daemon). The caller
learns which it was: the new notification id, or None when the week was already queued.
Delivery is the outbox's: retries, backoff, and `sent` only after the channel returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alerts.event import NotifyReason, new_notification_id
from alerts.outbox import DeliveryStatus
from monitor.storage.alerts_models import NotificationRow
from monitor.storage.engine import Database
from monitor.storage.report_models import ReportSendRow

__all__ = ["enqueue_report", "report_key", "sent_weeks"]


def report_key(week: str) -> str:
    """The outbox row's key for a weekly report (where alerts have their problem key)."""
    return f"report/weekly/{week}"


def enqueue_report(
    db: Database, *, week: str, channel: str, payload: dict[str, Any], now: dt.datetime
) -> str | None:
    """Queue `payload` for `channel` unless this week's report was queued for it before.

    Returns:
        The notification id (the idempotency key receivers see), or None when a report of
        `week` was already queued for `channel`.
    """
    try:
        with db.transaction() as session:
            if session.scalar(
                select(ReportSendRow.id).where(
                    ReportSendRow.week == week, ReportSendRow.channel == channel
                )
            ):
                return None
            notification_id = new_notification_id()
            session.add(
                NotificationRow(
                    id=notification_id,
                    alert_key=report_key(week),
                    episode=0,
                    channel=channel,
                    reason=NotifyReason.REPORT.value,
                    payload=payload,
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
            session.add(
                ReportSendRow(
                    week=week, channel=channel, notification_id=notification_id, created_at=now
                )
            )
    except IntegrityError:
        return None  # another writer queued it between our read and our commit
    return notification_id


def sent_weeks(db: Database, channel: str) -> list[str]:
    """The weeks whose report was queued for `channel`, oldest first."""
    with db.transaction() as session:
        return list(
            session.scalars(
                select(ReportSendRow.week)
                .where(ReportSendRow.channel == channel)
                .order_by(ReportSendRow.week)
            )
        )
