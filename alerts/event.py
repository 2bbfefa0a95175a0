"""The alert vocabulary: problem keys, alert records, notifications and delivery errors.

Everything here is a frozen value with no I/O, shared by the pure stages (`lifecycle`,
`routing`), the dispatcher (`outbox`) and the channels. `monitor` turns check results into
`Sighting`s and stores `AlertRecord`s and `Notification`s; `alerts` never imports `monitor`.

Exception tree:
    DeliveryError          a channel could not deliver; carries the retry decision
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from checks.result import Scalar, Severity

__all__ = [
    "CHECK_UNAVAILABLE",
    "AlertRecord",
    "AlertState",
    "Change",
    "DeliveryError",
    "Notification",
    "NotifyReason",
    "ProblemKey",
    "Sighting",
    "new_notification_id",
]

CHECK_UNAVAILABLE = "check.unavailable"
"""Problem code of a check that kept returning `error` for longer than its grace period."""


class AlertState(enum.StrEnum):
    """Where a problem stands.

    `pending` (seen, not yet confirmed by flap damping) and `cleared` (went away while pending)
    never notify anyone; only `firing` and `resolved` do.
    """

    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"
    CLEARED = "cleared"

    @property
    def active(self) -> bool:
        return self in (AlertState.PENDING, AlertState.FIRING)


class NotifyReason(enum.StrEnum):
    """Why a notification is sent; outbox rows store it and templates word messages by it."""

    FIRST = "first"
    REMINDER = "reminder"
    RESOLVED = "resolved"
    TEST = "test"
    REPORT = "report"  # the weekly report: `alert` holds the rendered forms, not an alert


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class ProblemKey:
    """The stable identity of one problem: (domain or environment, check, problem code).

    Written `scope/check/code` (`example.test/spf/spf.too_many_lookups`): the form users type
    after `senderwatch alerts ack`. Domains, environment names, checks and codes never hold
    a `/`, so the text form parses back unambiguously.
    """

    scope: str
    check: str
    code: str

    def __post_init__(self) -> None:
        for part in (self.scope, self.check):
            if not part or "/" in part:
                raise ValueError(f"a problem key part must be non-empty without '/'; got {part!r}")
        if not self.code:
            raise ValueError("a problem key needs a code")

    def __str__(self) -> str:
        return f"{self.scope}/{self.check}/{self.code}"

    @classmethod
    def parse(cls, text: str) -> ProblemKey:
        """Parse `scope/check/code`.

        Raises:
            ValueError: the text does not have three non-empty parts.
        """
        parts = text.strip().split("/", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"a problem key reads SCOPE/CHECK/CODE; got {text!r}")
        return cls(*parts)

    @property
    def fingerprint(self) -> str:
        """Short stable hash, for receivers that group by an opaque id."""
        return hashlib.sha256(str(self).encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One observed value that moved: what it was, what it is, and which way it went."""

    key: str
    before: Scalar
    after: Scalar
    direction: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(str(data["key"]), data.get("before"), data.get("after"), str(data["direction"]))


@dataclasses.dataclass(frozen=True, slots=True)
class Sighting:
    """A problem observed in one run, before any lifecycle decision.

    `kind` is the check family (`dns`, `canary`, ...): flap damping is configured per kind.
    `labels` carries at least `domain`, `environment` (may be empty), `check` and `code`.
    `summary` is one line for a person; `evidence` a bounded JSON object (records, lookups),
    which channels show as JSON or as `key: value` lines (`alerts.text`), never as a repr.
    """

    key: ProblemKey
    kind: str
    severity: Severity
    summary: str
    labels: Mapping[str, str]
    changes: tuple[Change, ...] = ()
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class AlertRecord:
    """The stored state of one problem key (one row, reused across episodes).

    `episode` counts firings: notifications and acks belong to one episode, so a problem that
    resolves and fires again is a new page, while reminders stay within their episode.
    """

    key: ProblemKey
    state: AlertState
    episode: int
    sightings: int
    kind: str
    severity: Severity
    summary: str
    labels: Mapping[str, str]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    fired_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    changes: tuple[Change, ...] = ()
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    acked_episode: int | None = None

    @property
    def acked(self) -> bool:
        return self.acked_episode is not None and self.acked_episode == self.episode

    def replace(self, **changes: Any) -> AlertRecord:
        return dataclasses.replace(self, **changes)

    def to_payload(self) -> dict[str, Any]:
        """The alert as channels see it (stored in each outbox row, so a row is self-contained)."""
        labels = dict(self.labels)
        return {
            "key": str(self.key),
            "fingerprint": self.key.fingerprint,
            "state": self.state.value,
            "episode": self.episode,
            "severity": self.severity.value,
            "summary": self.summary,
            "kind": self.kind,
            "check": self.key.check,
            "code": self.key.code,
            "domain": labels.get("domain") or None,
            "environment": labels.get("environment") or None,
            "labels": labels,
            "started_at": _iso(self.fired_at or self.first_seen_at),
            "resolved_at": _iso(self.resolved_at),
            "changes": [c.to_dict() for c in self.changes],
            "evidence": dict(self.evidence),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def new_notification_id() -> str:
    """A fresh notification id: the outbox row's key and the webhook's idempotency key."""
    return f"msg_{uuid.uuid4().hex}"


@dataclasses.dataclass(frozen=True, slots=True)
class Notification:
    """One message for one channel: what the outbox stores and a channel renders.

    `id` is assigned when the row is written and never changes, so every redelivery of the
    same notification carries the same idempotency key (`webhook-id`).
    """

    id: str
    channel: str
    reason: NotifyReason
    alert: Mapping[str, Any]
    created_at: dt.datetime

    @property
    def resolved(self) -> bool:
        return self.reason is NotifyReason.RESOLVED


class DeliveryError(Exception):
    """A channel could not deliver a notification.

    Args:
        message: what went wrong, already free of secrets (URLs redacted, tokens masked).
        retryable: True for timeouts, connection errors, 408, 429 and 5xx; False for other 4xx
            and anything a retry cannot fix.
        retry_after: seconds the receiver asked us to wait (HTTP Retry-After), if any.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
