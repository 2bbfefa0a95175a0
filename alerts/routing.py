"""Routing: which channel hears about which alert, and what keeps an alert quiet.

Three pure stages run between the lifecycle and the outbox, in this order:

1. **route**: a channel takes an alert when its severity is at least the channel's
   `min_severity` and its environment and domain are in the channel's lists (empty = all);
2. **silence / inhibit**: an alert matched by an active silence (by key, domain or
   environment), or inhibited by a DNS-unavailable problem of the same domain (which mutes
   that domain's SPF/DKIM/DMARC alerts: one page for the outage, not one per record), is
   stored and shown but not notified;
3. **dedup**: `lifecycle.notify_reason` against the channel's notification log.

`plan` composes them and returns the notifications to enqueue plus why others stayed quiet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from alerts.event import CHECK_UNAVAILABLE, AlertRecord, AlertState, NotifyReason, ProblemKey
from alerts.lifecycle import Decision, LogEntry, notify_reason
from checks.result import Severity

__all__ = [
    "INHIBITED_CHECKS",
    "Intent",
    "Plan",
    "Route",
    "Silence",
    "inhibitor_of",
    "mute_reason",
    "plan",
]

INHIBITED_CHECKS = frozenset({"spf", "dkim", "dmarc"})
"""Checks whose alerts a DNS-unavailable problem of the same domain mutes."""


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One channel's routing rule."""

    channel: str
    min_severity: Severity = Severity.WARNING
    environments: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    repeat_interval: dt.timedelta = dt.timedelta(hours=4)

    def matches(self, record: AlertRecord) -> bool:
        if record.severity.rank < self.min_severity.rank:
            return False
        env = record.labels.get("environment") or ""
        domain = record.labels.get("domain") or ""
        if self.environments and env not in self.environments:
            return False
        return not (self.domains and domain not in self.domains)


@dataclasses.dataclass(frozen=True, slots=True)
class Silence:
    """A stored silence: exactly one of `key`, `domain`, `environment` says what it covers."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    created_by: str = ""
    key: ProblemKey | None = None
    domain: str | None = None
    environment: str | None = None
    cancelled_at: dt.datetime | None = None

    def active(self, now: dt.datetime) -> bool:
        ended = self.cancelled_at is not None and self.cancelled_at <= now
        return self.starts_at <= now < self.ends_at and not ended

    def matches(self, record: AlertRecord) -> bool:
        if self.key is not None:
            return record.key == self.key
        if self.domain is not None:
            return (record.labels.get("domain") or "") == self.domain
        if self.environment is not None:
            return (record.labels.get("environment") or "") == self.environment
        return False

    def describe(self) -> str:
        if self.key is not None:
            return f"key {self.key}"
        if self.domain is not None:
            return f"domain {self.domain}"
        return f"environment {self.environment}"


def _is_dns_outage(record: AlertRecord) -> bool:
    return (
        record.state is AlertState.FIRING
        and record.kind == "dns"
        and record.key.code == CHECK_UNAVAILABLE
    )


def inhibitor_of(record: AlertRecord, firing: Iterable[AlertRecord]) -> ProblemKey | None:
    """The DNS-unavailable problem muting `record`, if any.

    Sources are firing `check.unavailable` problems of DNS checks; they mute the SPF, DKIM and
    DMARC alerts of the same domain. Several sources for one domain (SPF, DKIM and DMARC all
    unreachable) keep exactly one of them audible, the earliest, so an outage is one page.
    """
    if record.key.check not in INHIBITED_CHECKS:
        return None
    domain = record.labels.get("domain") or ""
    if not domain:
        return None
    sources = sorted(
        (r for r in firing if _is_dns_outage(r) and (r.labels.get("domain") or "") == domain),
        key=lambda r: (r.fired_at or r.first_seen_at, str(r.key)),
    )
    if not sources or sources[0].key == record.key:
        return None
    return sources[0].key


def mute_reason(
    record: AlertRecord,
    silences: Sequence[Silence],
    firing: Sequence[AlertRecord],
    now: dt.datetime,
) -> str | None:
    """Why `record` is not notified right now (silence or inhibition), or None."""
    for silence in silences:
        if silence.active(now) and silence.matches(record):
            return f"silenced by #{silence.id} ({silence.describe()}): {silence.reason}"
    source = inhibitor_of(record, firing)
    if source is not None:
        return f"inhibited by {source}"
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class Intent:
    """A notification to enqueue: this record, to this channel, for this reason."""

    record: AlertRecord
    channel: str
    reason: NotifyReason


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    intents: tuple[Intent, ...]
    muted: Mapping[ProblemKey, str]


def plan(
    decisions: Sequence[Decision],
    *,
    routes: Sequence[Route],
    silences: Sequence[Silence],
    firing: Sequence[AlertRecord],
    log: Mapping[tuple[ProblemKey, int, str], LogEntry],
    now: dt.datetime,
) -> Plan:
    """Route, mute and dedup one run's decisions into notifications.

    Args:
        decisions: from `lifecycle.evaluate`.
        routes: one per configured channel.
        silences: stored silences (inactive ones are ignored).
        firing: every firing record after this run (inhibition sources).
        log: per (key, episode, channel), what was already enqueued.
        now: decision time.
    """
    intents: list[Intent] = []
    muted: dict[ProblemKey, str] = {}
    for decision in decisions:
        record = decision.record
        if record.state not in (AlertState.FIRING, AlertState.RESOLVED):
            continue
        why = mute_reason(record, silences, firing, now)
        if why is not None:
            muted[record.key] = why
            continue
        for route in routes:
            if not route.matches(record):
                continue
            entry = log.get((record.key, record.episode, route.channel), LogEntry())
            reason = notify_reason(decision, entry, route.repeat_interval, now)
            if reason is not None:
                intents.append(Intent(record, route.channel, reason))
    return Plan(tuple(intents), muted)
