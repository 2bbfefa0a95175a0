"""Alerts: what on-call asks of them from the CLI, the HTTP API and the pages.

    overview(app, include_resolved)       active alerts (and why any is muted), silences, outbox
    silence(app, ...) / unsilence(app, id) stored, shown, never notified
    ack(app, key, by, reason)             no more reminders for this episode
    test_channel(app, name)               one test notification through one channel, now
    deliver(app, wait)                    drain the outbox for at most `wait` seconds

Mistakes in the request (unknown channel, no such silence, no such alert) are `UsageError`s;
a channel that refuses the test is reported in the returned outcome, not raised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from alerts.event import (
    AlertRecord,
    AlertState,
    DeliveryError,
    Notification,
    NotifyReason,
    ProblemKey,
    new_notification_id,
)
from alerts.outbox import DispatchReport
from alerts.routing import Silence, mute_reason
from monitor.app import App
from monitor.engine.alerting import deliver_pending
from monitor.errors import UsageError
from monitor.storage.alerts_store import AlertRepository
from monitor.wiring.alerts import build_channel

__all__ = [
    "AlertsOverview",
    "ChannelTest",
    "Delivery",
    "ack",
    "deliver",
    "overview",
    "silence",
    "test_channel",
    "unsilence",
]

RECENT_PROBLEMS = 5


@dataclasses.dataclass(frozen=True, slots=True)
class AlertsOverview:
    """Alerts with the reason each is muted (None when it notifies), silences and the outbox."""

    alerts: tuple[tuple[AlertRecord, str | None], ...]
    silences: tuple[Silence, ...]
    outbox: Mapping[str, int]
    recent_failures: tuple[dict[str, Any], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelTest:
    channel: Mapping[str, Any]  # describe(): the configuration with secrets masked
    notification_id: str
    error: DeliveryError | None


@dataclasses.dataclass(frozen=True, slots=True)
class Delivery:
    report: DispatchReport
    problems: tuple[str, ...]  # channels that could not be built, one line each


def overview(app: App, *, include_resolved: bool = False) -> AlertsOverview:
    """Active alerts, those resolved in the last day with `include_resolved`, and more."""
    now = app.alerts_clock()
    with app.database.transaction() as session:
        repo = AlertRepository(session)
        active = repo.in_states([AlertState.FIRING, AlertState.PENDING])
        resolved = repo.resolved_since(now - dt.timedelta(days=1)) if include_resolved else []
        silences = repo.silences(now)
        firing = [r for r in active if r.state is AlertState.FIRING]
        rows = tuple((r, mute_reason(r, silences, firing, now)) for r in [*active, *resolved])
        counts = dict(repo.outbox_counts())
        recent = [n for n in repo.notifications(50) if n["status"] in ("failed", "dead")]
    return AlertsOverview(rows, tuple(silences), counts, tuple(recent[:RECENT_PROBLEMS]))


def silence(
    app: App,
    *,
    duration: dt.timedelta,
    reason: str,
    by: str,
    key: ProblemKey | None = None,
    domain: str | None = None,
    environment: str | None = None,
) -> Silence:
    """Silence one problem, a domain or an environment for `duration`.

    Raises:
        UsageError: not exactly one of key, domain and environment.
    """
    if sum(x is not None for x in (key, domain, environment)) != 1:
        raise UsageError("give exactly one of KEY, --domain or --env")
    with app.database.transaction() as session:
        return AlertRepository(session).add_silence(
            now=app.alerts_clock(),
            duration=duration,
            reason=reason,
            created_by=by,
            key=key,
            domain=domain.lower().rstrip(".") if domain else None,
            environment=environment,
        )


def unsilence(app: App, silence_id: int) -> None:
    """End silence `silence_id` now.

    Raises:
        UsageError: no active silence has that id.
    """
    with app.database.transaction() as session:
        ended = AlertRepository(session).cancel_silence(silence_id, app.alerts_clock())
    if not ended:
        raise UsageError(f"no active silence #{silence_id}")


def ack(app: App, key: ProblemKey, *, by: str, reason: str) -> AlertRecord:
    """Acknowledge `key`: no reminders for this episode; resolved is still sent.

    Raises:
        UsageError: no alert has that key.
    """
    with app.database.transaction() as session:
        try:
            return AlertRepository(session).ack(key, by=by, reason=reason, now=app.alerts_clock())
        except LookupError as exc:
            raise UsageError(str(exc)) from None


def test_channel(app: App, name: str) -> ChannelTest:
    """Send a test notification through channel `name` now.

    Raises:
        UsageError: no channel has that name.
        ConfigError: the channel's secret is not set.
    """
    configured = app.settings.alerts.channel(name)
    if configured is None:
        names = ", ".join(c.name for c in app.settings.alerts.channels) or "none configured"
        raise UsageError(f"no channel named {name!r} (channels: {names})")
    channel = build_channel(configured, app.environ)
    now = app.alerts_clock()
    note = Notification(new_notification_id(), name, NotifyReason.TEST, _test_alert(now), now)
    try:
        channel.deliver(note)
    except DeliveryError as exc:
        return ChannelTest(channel.describe(), note.id, exc)
    return ChannelTest(channel.describe(), note.id, None)


def deliver(app: App, *, wait: float | None = None) -> Delivery:
    """Deliver queued notifications for at most `wait` seconds (default `delivery.wait`)."""
    report, problems = deliver_pending(
        app.database, app.settings, clock=app.alerts_clock, wait=wait, environ=app.environ
    )
    return Delivery(report, tuple(problems))


def _test_alert(now: dt.datetime) -> dict[str, Any]:
    stamp = now.isoformat().replace("+00:00", "Z")
    return {
        "key": "senderwatch/test/alerts.test",
        "fingerprint": "test",
        "state": "firing",
        "episode": 0,
        "severity": "info",
        "summary": "senderwatch test notification",
        "kind": "test",
        "check": "test",
        "code": "alerts.test",
        "domain": None,
        "environment": None,
        "labels": {},
        "started_at": stamp,
        "resolved_at": None,
        "changes": [],
        "evidence": {},
    }
