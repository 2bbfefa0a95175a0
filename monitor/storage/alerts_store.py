"""Alert persistence: `AlertRepository` (inside the caller's transaction) and `SqlOutboxStore`.

`AlertRepository` works on the session of `Database.transaction()`, so the bridge writes alert
state changes and their outbox rows in one transaction: either both exist or neither does.

`SqlOutboxStore` implements `alerts.outbox.OutboxStore`; each call is a short transaction of
its own. Claims are conditional UPDATEs that must touch exactly one row; on PostgreSQL the
candidates are first selected `FOR UPDATE SKIP LOCKED`, so replicas never block on, or
double-claim, each other's rows. SQLite serialises writers with `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alerts.event import (
    AlertRecord,
    AlertState,
    Change,
    Notification,
    NotifyReason,
    ProblemKey,
    new_notification_id,
)
from alerts.lifecycle import LogEntry
from alerts.outbox import DeliveryStatus, OutboxItem
from alerts.routing import Intent, Silence
from alerts.text import compact_json, evidence_object
from checks.result import Severity
from monitor.storage.alerts_models import AckRow, AlertStateRow, NotificationRow, SilenceRow
from monitor.storage.engine import Database
from monitor.storage.models import as_utc

__all__ = ["AlertRepository", "SqlOutboxStore"]


def _record(row: AlertStateRow) -> AlertRecord:
    return AlertRecord(
        key=ProblemKey(row.scope, row.check, row.code),
        state=AlertState(row.state),
        episode=row.episode,
        sightings=row.sightings,
        kind=row.kind,
        severity=Severity(row.severity),
        summary=row.summary,
        labels=dict(row.labels),
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
        changes=tuple(Change.from_dict(c) for c in row.changes),
        evidence=_evidence(row.evidence),
        acked_episode=row.acked_episode,
    )


def _evidence(text: str) -> dict[str, Any]:
    """The stored evidence object; rows written before it was an object held plain text."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = text
    return evidence_object(value)


def _silence(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
        created_by=row.created_by,
        key=ProblemKey.parse(row.match_key) if row.match_key else None,
        domain=row.match_domain,
        environment=row.match_environment,
        cancelled_at=row.cancelled_at,
    )


def _notification(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        channel=row.channel,
        reason=NotifyReason(row.reason),
        alert=dict(row.payload),
        created_at=row.created_at,
    )


class AlertRepository:
    """Alert states, notification log, silences and acks, in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- alert states -------------------------------------------------------------------

    def load_for(
        self, scopes: Collection[tuple[str, str]], keys: Collection[ProblemKey]
    ) -> dict[ProblemKey, AlertRecord]:
        """Active records of the given (scope, check) pairs plus the records of `keys`."""
        conditions: list[ColumnElement[bool]] = []
        if keys:
            conditions.append(AlertStateRow.key.in_([str(k) for k in keys]))
        if scopes:
            conditions.append(
                and_(
                    AlertStateRow.state.in_([AlertState.PENDING, AlertState.FIRING]),
                    tuple_(AlertStateRow.scope, AlertStateRow.check).in_(list(scopes)),
                )
            )
        if not conditions:
            return {}
        rows = self.session.scalars(select(AlertStateRow).where(or_(*conditions)))
        return {r.key: r for r in map(_record, rows)}

    def get(self, key: ProblemKey) -> AlertRecord | None:
        row = self._row(key)
        return _record(row) if row else None

    def _row(self, key: ProblemKey) -> AlertStateRow | None:
        return self.session.scalars(
            select(AlertStateRow).where(AlertStateRow.key == str(key))
        ).one_or_none()

    def save(self, records: Iterable[AlertRecord]) -> None:
        """Insert or update one row per record (by key)."""
        for record in records:
            row = self._row(record.key) or AlertStateRow(key=str(record.key))
            row.scope, row.check, row.code = record.key.scope, record.key.check, record.key.code
            row.state = record.state.value
            row.episode, row.sightings = record.episode, record.sightings
            row.kind, row.severity = record.kind, record.severity.value
            row.summary, row.labels = record.summary, dict(record.labels)
            row.changes = [c.to_dict() for c in record.changes]
            row.evidence = compact_json(dict(record.evidence))
            row.first_seen_at, row.last_seen_at = record.first_seen_at, record.last_seen_at
            row.fired_at, row.resolved_at = record.fired_at, record.resolved_at
            row.acked_episode = record.acked_episode
            self.session.add(row)
        self.session.flush()

    def in_states(self, states: Collection[AlertState]) -> list[AlertRecord]:
        rows = self.session.scalars(
            select(AlertStateRow)
            .where(AlertStateRow.state.in_([s.value for s in states]))
            .order_by(AlertStateRow.key)
        )
        return [_record(r) for r in rows]

    def resolved_since(self, since: dt.datetime) -> list[AlertRecord]:
        rows = self.session.scalars(
            select(AlertStateRow)
            .where(AlertStateRow.state == AlertState.RESOLVED, AlertStateRow.resolved_at >= since)
            .order_by(AlertStateRow.resolved_at.desc())
        )
        return [_record(r) for r in rows]

    # -- notification log and outbox -----------------------------------------------------

    def log_for(
        self, records: Iterable[AlertRecord]
    ) -> dict[tuple[ProblemKey, int, str], LogEntry]:
        """What each channel was already sent for each record's current episode."""
        wanted = {(str(r.key), r.episode): r.key for r in records}
        if not wanted:
            return {}
        rows = self.session.execute(
            select(
                NotificationRow.alert_key,
                NotificationRow.episode,
                NotificationRow.channel,
                NotificationRow.reason,
                NotificationRow.created_at,
            ).where(
                tuple_(NotificationRow.alert_key, NotificationRow.episode).in_(list(wanted)),
                NotificationRow.reason != NotifyReason.TEST,
            )
        ).all()
        grouped: dict[tuple[ProblemKey, int, str], list[tuple[NotifyReason, dt.datetime]]] = {}
        for key, episode, channel, reason, created in rows:
            grouped.setdefault((wanted[(key, episode)], episode, channel), []).append(
                (NotifyReason(reason), created)
            )
        return {k: LogEntry.from_rows(v) for k, v in grouped.items()}

    def enqueue(self, intents: Iterable[Intent], now: dt.datetime) -> list[str]:
        """Write one pending outbox row per intent; returns their ids (the idempotency keys)."""
        ids = []
        for intent in intents:
            row = NotificationRow(
                id=new_notification_id(),
                alert_key=str(intent.record.key),
                episode=intent.record.episode,
                channel=intent.channel,
                reason=intent.reason.value,
                payload=intent.record.to_payload(),
                status=DeliveryStatus.PENDING,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            self.session.add(row)
            ids.append(row.id)
        self.session.flush()
        return ids

    def notifications(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest outbox rows, for `alerts list`."""
        rows = self.session.scalars(
            select(NotificationRow).order_by(NotificationRow.created_at.desc()).limit(limit)
        )
        return [
            {
                "id": r.id,
                "key": r.alert_key,
                "channel": r.channel,
                "reason": r.reason,
                "status": r.status,
                "attempts": r.attempts,
                "created_at": r.created_at,
                "last_error": r.last_error,
            }
            for r in rows
        ]

    def outbox_counts(self) -> Mapping[str, int]:
        rows = self.session.execute(
            select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
        ).all()
        return {status: int(count) for status, count in rows}

    # -- silences and acks ---------------------------------------------------------------

    def silences(self, now: dt.datetime, *, include_inactive: bool = False) -> list[Silence]:
        query = select(SilenceRow).order_by(SilenceRow.id)
        if not include_inactive:
            query = query.where(SilenceRow.ends_at > now, SilenceRow.cancelled_at.is_(None))
        return [_silence(r) for r in self.session.scalars(query)]

    def add_silence(
        self,
        *,
        now: dt.datetime,
        duration: dt.timedelta,
        reason: str,
        created_by: str,
        key: ProblemKey | None = None,
        domain: str | None = None,
        environment: str | None = None,
    ) -> Silence:
        if sum(x is not None for x in (key, domain, environment)) != 1:
            raise ValueError("a silence covers exactly one of: a key, a domain, an environment")
        row = SilenceRow(
            match_key=str(key) if key else None,
            match_domain=domain,
            match_environment=environment,
            reason=reason,
            created_by=created_by,
            starts_at=now,
            ends_at=now + duration,
            cancelled_at=None,
        )
        self.session.add(row)
        self.session.flush()
        return _silence(row)

    def cancel_silence(self, silence_id: int, now: dt.datetime) -> bool:
        """End a silence now; False if there is no such active silence."""
        result = self.session.execute(
            update(SilenceRow)
            .where(
                SilenceRow.id == silence_id,
                SilenceRow.cancelled_at.is_(None),
                SilenceRow.ends_at > now,
            )
            .values(cancelled_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def ack(self, key: ProblemKey, *, by: str, reason: str, now: dt.datetime) -> AlertRecord:
        """Acknowledge the current episode of a firing or pending problem.

        Raises:
            LookupError: no active alert has this key.
        """
        row = self._row(key)
        if row is None or not AlertState(row.state).active:
            raise LookupError(f"no active alert with key {key}")
        row.acked_episode = row.episode
        self.session.add(
            AckRow(key=str(key), episode=row.episode, acked_at=now, acked_by=by, reason=reason)
        )
        self.session.flush()
        return _record(row)


class SqlOutboxStore:
    """`alerts.outbox.OutboxStore` over the `notifications` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _claimable(now: dt.datetime) -> Any:
        return or_(
            and_(
                NotificationRow.status == DeliveryStatus.PENDING,
                NotificationRow.next_attempt_at <= now,
            ),
            and_(
                NotificationRow.status == DeliveryStatus.SENDING,
                NotificationRow.lease_until <= now,
            ),
        )

    def claim(
        self, now: dt.datetime, channels: Collection[str], lease: dt.timedelta, limit: int
    ) -> list[OutboxItem]:
        if not channels:
            return []
        with self.db.transaction() as session:
            query = (
                select(NotificationRow.id)
                .where(NotificationRow.channel.in_(list(channels)), self._claimable(now))
                .order_by(NotificationRow.next_attempt_at, NotificationRow.created_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidates = list(session.scalars(query))
            claimed: list[OutboxItem] = []
            for notification_id in candidates:
                result = session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id == notification_id, self._claimable(now))
                    .values(status=DeliveryStatus.SENDING, lease_until=now + lease)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) != 1:
                    continue  # another dispatcher took it between our SELECT and UPDATE
                row = session.get(NotificationRow, notification_id)
                if row is not None:
                    claimed.append(OutboxItem(_notification(row), row.attempts))
            return claimed

    def _finish(self, notification_id: str, **values: Any) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == notification_id,
                    NotificationRow.status == DeliveryStatus.SENDING,
                )
                .values(lease_until=None, **values)
                .execution_options(synchronize_session=False)
            )

    def mark_sent(self, notification_id: str, now: dt.datetime, attempts: int) -> None:
        self._finish(notification_id, status=DeliveryStatus.SENT, sent_at=now, attempts=attempts)

    def mark_retry(
        self, notification_id: str, attempts: int, next_attempt_at: dt.datetime, error: str
    ) -> None:
        self._finish(
            notification_id,
            status=DeliveryStatus.PENDING,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=error,
        )

    def mark_failed(
        self, notification_id: str, attempts: int, error: str, now: dt.datetime, *, dead: bool
    ) -> None:
        self._finish(
            notification_id,
            status=DeliveryStatus.DEAD if dead else DeliveryStatus.FAILED,
            attempts=attempts,
            last_error=error,
        )

    def next_due(self, channels: Collection[str]) -> dt.datetime | None:
        if not channels:
            return None
        with self.db.transaction() as session:
            pending = session.scalar(
                select(func.min(NotificationRow.next_attempt_at)).where(
                    NotificationRow.channel.in_(list(channels)),
                    NotificationRow.status == DeliveryStatus.PENDING,
                )
            )
            leased = session.scalar(
                select(func.min(NotificationRow.lease_until)).where(
                    NotificationRow.channel.in_(list(channels)),
                    NotificationRow.status == DeliveryStatus.SENDING,
                )
            )
        times = [as_utc(t) for t in (pending, leased) if t is not None]
        return min(times) if times else None

    def count_waiting(self, channels: Collection[str]) -> int:
        if not channels:
            return 0
        with self.db.transaction() as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        NotificationRow.channel.in_(list(channels)),
                        NotificationRow.status.in_(
                            [DeliveryStatus.PENDING, DeliveryStatus.SENDING]
                        ),
                    )
                )
                or 0
            )
