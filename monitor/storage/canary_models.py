"""Storage of sent canaries: one row per canary, linked to its run and its stored result.

Why a table of its own: the result row says what the receiver proved; this row says which
message it was (token, Message-ID, send time, release), so a person can find the canary in
the inbox or the relay's logs, and a canary that arrives after its timeout can still be
recognised later. Rows are written in the run's transaction, before the canary is deleted
from the inbox (never remove input before its outcome is stored); `acknowledged_at` is set
only after the inbox confirmed. Portable types only, as in `models.py`; migration
`0003_canary` creates the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from checks.canary.record import CanaryRecord
from monitor.storage.models import Base

__all__ = ["CanaryMessageRow", "CanaryRepository", "StoredCanary"]


class CanaryMessageRow(Base):
    """One sent canary."""

    __tablename__ = "canary_messages"
    __table_args__ = (
        Index("ix_canary_messages_token", "token", unique=True),
        Index("ix_canary_messages_environment_sent_at", "environment", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(255))
    release: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[dt.datetime]
    delivered: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[dt.datetime | None]
    detected_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"), index=True)


@dataclasses.dataclass(frozen=True, slots=True)
class StoredCanary:
    id: int
    record: CanaryRecord
    run_id: int | None
    result_id: int | None
    acknowledged_at: dt.datetime | None


class CanaryRepository:
    """Canary rows inside the caller's transaction (see `monitor.storage`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: CanaryRecord, *, run_id: int | None, result_id: int | None) -> int:
        """Store one sent canary; returns its row id."""
        row = CanaryMessageRow(
            token=record.token,
            environment=record.environment,
            message_id=record.message_id,
            release=record.release,
            sent_at=record.sent_at,
            delivered=record.delivered,
            received_at=record.received_at,
            detected_at=record.detected_at,
            run_id=run_id,
            result_id=result_id,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def mark_acknowledged(self, token: str, at: dt.datetime) -> None:
        """The inbox confirmed the canary was deleted or moved."""
        row = self.session.scalars(
            select(CanaryMessageRow).where(CanaryMessageRow.token == token)
        ).one()
        row.acknowledged_at = at
        self.session.flush()

    def awaiting(self, environment: str, since: dt.datetime) -> list[StoredCanary]:
        """The environment's canaries sent since `since` that no one has seen arrive: not
        delivered within their run's timeout, and not found late since. Oldest first."""
        rows = self.session.scalars(
            select(CanaryMessageRow)
            .where(
                CanaryMessageRow.environment == environment,
                CanaryMessageRow.sent_at >= since,
                CanaryMessageRow.delivered.is_(False),
                CanaryMessageRow.detected_at.is_(None),
            )
            .order_by(CanaryMessageRow.sent_at, CanaryMessageRow.id)
        )
        return [_stored(row) for row in rows]

    def record_late(self, token: str, received_at: dt.datetime, detected_at: dt.datetime) -> None:
        """A canary its run gave up on was found after all. `delivered` stays False (the run
        judged it undelivered within its timeout, and its result says so); `received_at` and
        `detected_at` now say when it did arrive: "late" is undelivered with a detection."""
        row = self.session.scalars(
            select(CanaryMessageRow).where(CanaryMessageRow.token == token)
        ).one()
        row.received_at, row.detected_at = received_at, detected_at
        self.session.flush()

    def by_token(self, token: str) -> StoredCanary | None:
        row = self.session.scalars(
            select(CanaryMessageRow).where(CanaryMessageRow.token == token)
        ).one_or_none()
        return _stored(row) if row is not None else None

    def recent(self, environment: str, limit: int = 20) -> list[StoredCanary]:
        """The environment's latest canaries, newest first."""
        rows = self.session.scalars(
            select(CanaryMessageRow)
            .where(CanaryMessageRow.environment == environment)
            .order_by(CanaryMessageRow.sent_at.desc(), CanaryMessageRow.id.desc())
            .limit(limit)
        )
        return [_stored(row) for row in rows]


def _stored(row: CanaryMessageRow) -> StoredCanary:
    record = CanaryRecord(
        token=row.token,
        environment=row.environment,
        message_id=row.message_id,
        sent_at=row.sent_at,
        release=row.release,
        delivered=row.delivered,
        received_at=row.received_at,
        detected_at=row.detected_at,
    )
    return StoredCanary(row.id, record, row.run_id, row.result_id, row.acknowledged_at)
