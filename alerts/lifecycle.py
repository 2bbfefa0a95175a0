"""Pure lifecycle decisions: what a run's sightings do to stored alert records.

State machine of one problem key (one `AlertRecord`):

1. Not active (no record, `resolved` or `cleared`) and sighted: becomes `pending` with one
   sighting and a new episode.
2. `pending` and sighted again: one more sighting. Once it has been seen `consecutive[kind]`
   times in a row (flap damping) and for at least its minimum duration (`error_grace` for
   `check.unavailable`, zero otherwise) it becomes `firing`.
3. `firing` and sighted again: stays firing (a reminder candidate); severity, summary and
   evidence follow the latest sighting.
4. Its (scope, check) measured without error and the key not sighted: `pending` → `cleared`
   (nobody was told, nobody is told), `firing` → `resolved`.
5. Its check errored: nothing changes for the check's other problems, because "could not
   measure" is no evidence either way; the error itself is sighted as `check.unavailable`.

`notify_reason` then turns a decision plus the notification log of one channel into the reason
to notify that channel, if any (dedup, reminders after the repeat interval, resolved only
where a firing was sent). No I/O and no clock: `now` is an argument, so every path is tested
without servers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping

from alerts.event import (
    CHECK_UNAVAILABLE,
    AlertRecord,
    AlertState,
    NotifyReason,
    ProblemKey,
    Sighting,
)

__all__ = [
    "Decision",
    "LifecyclePolicy",
    "LogEntry",
    "Measurement",
    "RunObservation",
    "Transition",
    "evaluate",
    "notify_reason",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Measurement:
    """One (scope, check) a run measured; `errored` when it could not measure at all."""

    scope: str
    check: str
    errored: bool


@dataclasses.dataclass(frozen=True, slots=True)
class RunObservation:
    """What one run saw: everything it measured and every problem it sighted."""

    measured: tuple[Measurement, ...]
    sightings: tuple[Sighting, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """Flap damping and error grace.

    Attributes:
        consecutive: sightings in a row before a problem fires, per check kind.
        default_consecutive: for kinds not listed.
        error_grace: how long a check must keep erroring before `check.unavailable` fires.
    """

    consecutive: Mapping[str, int] = dataclasses.field(
        default_factory=lambda: {"canary": 2, "dns": 1}
    )
    default_consecutive: int = 1
    error_grace: dt.timedelta = dt.timedelta(minutes=30)

    def needed(self, kind: str, code: str) -> int:
        if code == CHECK_UNAVAILABLE:
            return 1  # time-damped instead: see min_duration
        return max(1, self.consecutive.get(kind, self.default_consecutive))

    def min_duration(self, code: str) -> dt.timedelta:
        return self.error_grace if code == CHECK_UNAVAILABLE else dt.timedelta(0)


class Transition(enum.StrEnum):
    """What a run did to one record."""

    PENDING = "pending"  # seen, not confirmed yet
    FIRED = "fired"  # just became firing
    STILL_FIRING = "still_firing"  # firing and sighted again: reminder candidate
    RESOLVED = "resolved"  # was firing, measured clean
    CLEARED = "cleared"  # was pending, measured clean: never notified


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    record: AlertRecord
    transition: Transition


def evaluate(
    current: Mapping[ProblemKey, AlertRecord],
    run: RunObservation,
    policy: LifecyclePolicy,
    now: dt.datetime,
) -> list[Decision]:
    """Apply one run to the stored records.

    Args:
        current: stored records, keyed by `ProblemKey`: at least every active record of the
            measured scopes and every record (any state) of the sighted keys.
        run: what the run measured and sighted.
        policy: flap damping and error grace.
        now: the decision time (from the injected clock).

    Returns:
        One decision per record that changed or was sighted, in key order.
    """
    decisions: dict[ProblemKey, Decision] = {}
    sighted = {s.key for s in run.sightings}
    for sighting in run.sightings:
        decisions[sighting.key] = _on_sighting(current.get(sighting.key), sighting, policy, now)
    clean = {(m.scope, m.check) for m in run.measured if not m.errored}
    for key, record in current.items():
        if key in sighted or not record.state.active:
            continue
        if (record.key.scope, record.key.check) in clean:
            decisions[key] = _on_clean(record, now)
    return [decisions[k] for k in sorted(decisions, key=str)]


def _on_sighting(
    record: AlertRecord | None, s: Sighting, policy: LifecyclePolicy, now: dt.datetime
) -> Decision:
    facts = {
        "kind": s.kind,
        "severity": s.severity,
        "summary": s.summary,
        "labels": dict(s.labels),
        "changes": s.changes,
        "evidence": s.evidence,
        "last_seen_at": now,
    }
    if record is None or not record.state.active:
        record = AlertRecord(
            key=s.key,
            state=AlertState.PENDING,
            episode=(record.episode + 1) if record else 1,
            sightings=1,
            first_seen_at=now,
            acked_episode=record.acked_episode if record else None,
            **facts,  # type: ignore[arg-type]
        )
    elif record.state is AlertState.FIRING:
        return Decision(record.replace(**facts), Transition.STILL_FIRING)
    else:
        record = record.replace(sightings=record.sightings + 1, **facts)
    confirmed = record.sightings >= policy.needed(s.kind, s.key.code)
    lasted = now - record.first_seen_at >= policy.min_duration(s.key.code)
    if confirmed and lasted:
        return Decision(
            record.replace(state=AlertState.FIRING, fired_at=now, resolved_at=None),
            Transition.FIRED,
        )
    return Decision(record, Transition.PENDING)


def _on_clean(record: AlertRecord, now: dt.datetime) -> Decision:
    if record.state is AlertState.FIRING:
        return Decision(
            record.replace(state=AlertState.RESOLVED, resolved_at=now), Transition.RESOLVED
        )
    return Decision(record.replace(state=AlertState.CLEARED, resolved_at=now), Transition.CLEARED)


@dataclasses.dataclass(frozen=True, slots=True)
class LogEntry:
    """What one channel was already sent for one (key, episode), from the notification log."""

    first_sent: bool = False
    resolved_sent: bool = False
    last_sent_at: dt.datetime | None = None

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[NotifyReason, dt.datetime]]) -> LogEntry:
        entry = cls()
        for reason, at in rows:
            entry = dataclasses.replace(
                entry,
                first_sent=entry.first_sent or reason is NotifyReason.FIRST,
                resolved_sent=entry.resolved_sent or reason is NotifyReason.RESOLVED,
                last_sent_at=at
                if reason is not NotifyReason.RESOLVED
                and (entry.last_sent_at is None or at > entry.last_sent_at)
                else entry.last_sent_at,
            )
        return entry


def notify_reason(
    decision: Decision, entry: LogEntry, repeat_interval: dt.timedelta, now: dt.datetime
) -> NotifyReason | None:
    """Dedup against one channel's log: the reason to notify it now, or None.

    A firing problem is announced once per episode (FIRST), then only as a REMINDER once the
    route's repeat interval has passed since the last message (never for an acked episode).
    RESOLVED goes only to a channel that was told about the firing, and only once.
    """
    record = decision.record
    if record.state is AlertState.RESOLVED:
        return NotifyReason.RESOLVED if entry.first_sent and not entry.resolved_sent else None
    if record.state is not AlertState.FIRING:
        return None
    if not entry.first_sent:
        return NotifyReason.FIRST
    if record.acked or entry.last_sent_at is None:
        return None
    if now - entry.last_sent_at >= repeat_interval:
        return NotifyReason.REMINDER
    return None
