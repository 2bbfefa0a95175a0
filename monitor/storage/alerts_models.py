"""SQLAlchemy models of the alert lifecycle: alert states, the outbox, silences and acks.

One row per problem key in `alert_states` (reused across episodes); one row per message in
`notifications`, which is both the durable outbox and the notification log the dedup stage
reads. Portable types only, as in `models.py`; migration `0002_alerts` creates them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.storage.models import Base

__all__ = ["AckRow", "AlertStateRow", "NotificationRow", "SilenceRow"]

KEY_LENGTH = 400  # scope (253) + check + code, with room to spare


class AlertStateRow(Base):
    """The lifecycle state of one problem key (see `alerts.lifecycle`)."""

    __tablename__ = "alert_states"
    __table_args__ = (
        Index("ix_alert_states_key", "key", unique=True),
        Index("ix_alert_states_state", "state"),
        Index("ix_alert_states_scope_check", "scope", "check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    scope: Mapped[str] = mapped_column(String(253))
    check: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16))
    episode: Mapped[int] = mapped_column(Integer)
    sightings: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    labels: Mapped[dict[str, Any]]
    changes: Mapped[list[Any]]
    # The evidence object as compact JSON text (the column predates the object; rows from
    # before hold `key: value` lines and read back as {"excerpt": ...}).
    evidence: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    fired_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    acked_episode: Mapped[int | None] = mapped_column(Integer)


class NotificationRow(Base):
    """One message to one channel: written with the state change, marked sent after delivery.

    `id` is the idempotency key receivers see (`webhook-id`), identical on every attempt.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_log", "alert_key", "episode", "channel"),
        # One "first" and one "resolved" message per episode and channel: an alert is never
        # fired (or resolved) twice for one problem, whatever replicas race (0008_alerts_once).
        Index(
            "uq_notifications_once",
            "alert_key",
            "episode",
            "channel",
            "reason",
            unique=True,
            sqlite_where=text("reason IN ('first', 'resolved')"),
            postgresql_where=text("reason IN ('first', 'resolved')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    episode: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SilenceRow(Base):
    """A silence over one key, one domain or one environment, for a time."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    match_domain: Mapped[str | None] = mapped_column(String(253))
    match_environment: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None]


class AckRow(Base):
    """Someone acknowledged one episode of a problem: no reminders for it."""

    __tablename__ = "alert_acks"
    __table_args__ = (Index("ix_alert_acks_key", "key", "episode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    episode: Mapped[int] = mapped_column(Integer)
    acked_at: Mapped[dt.datetime]
    acked_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
