"""The bridge from a finished run to notifications: lifecycle in one transaction, then delivery.

    process_run(db, settings, results, drifts, now)
        rules.observe → lifecycle.evaluate → routing.plan, then alert states and outbox rows
        are written in ONE transaction: a state change never exists without its notification
        rows, nor a row without its state change.
    deliver_pending(db, settings, clock, wait)
        the outbox dispatcher over the configured channels, for at most `wait` seconds.
    after_run(...)
        both, as the one-shot commands (`check`, `canary`) call them before they exit.

This module is the edge for channel secrets: `build_channels` reads the environment variables
named by `*_env` keys and hands channels plain values; a missing variable is reported by
name (never by value) and that channel's rows stay queued.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Mapping

import requests

from alerts.channels import (
    EmailChannel,
    EmailConfig,
    SlackChannel,
    SlackConfig,
    WebhookChannel,
    WebhookConfig,
)
from alerts.channels.base import Channel
from alerts.event import AlertState
from alerts.lifecycle import Decision, LifecyclePolicy, evaluate
from alerts.outbox import Dispatcher, DispatchReport, RetryPolicy
from alerts.routing import Intent, Route, plan
from checks.result import CheckResult, Severity
from monitor.config import Settings
from monitor.config.alerts import AlertsSettings, ChannelSettings
from monitor.drift import Drift
from monitor.rules import observe
from monitor.storage.alerts_store import AlertRepository, SqlOutboxStore
from monitor.storage.engine import Database

__all__ = [
    "CLOCK_OFFSET_ENV",
    "AlertingOutcome",
    "after_check_run",
    "after_run",
    "alerts_clock",
    "build_channels",
    "deliver_pending",
    "lifecycle_policy",
    "process_run",
    "retry_policy",
    "routes",
]

log = logging.getLogger("senderwatch.alerts")

CLOCK_OFFSET_ENV = "SENDERWATCH_TEST_CLOCK_OFFSET"
"""TEST ONLY: seconds added to the alert clock (lifecycle, reminders, outbox due times), so an
end-to-end test can reach a reminder without waiting hours. Never set it in production."""

Clock = Callable[[], dt.datetime]


def alerts_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock alerting uses: real UTC now, shifted by the test-only offset if set."""
    raw = (environ if environ is not None else os.environ).get(CLOCK_OFFSET_ENV, "")
    offset = dt.timedelta(seconds=float(raw)) if raw.strip() else dt.timedelta(0)
    return lambda: dt.datetime.now(dt.UTC) + offset


def lifecycle_policy(settings: AlertsSettings) -> LifecyclePolicy:
    lc = settings.lifecycle
    return LifecyclePolicy(consecutive=dict(lc.consecutive), error_grace=lc.error_grace)


def routes(settings: AlertsSettings) -> list[Route]:
    return [
        Route(
            channel=c.name,
            min_severity=Severity(c.min_severity),
            environments=frozenset(c.environments),
            domains=frozenset(c.domains),
            repeat_interval=c.repeat_interval,
        )
        for c in settings.channels
    ]


def retry_policy(settings: AlertsSettings) -> RetryPolicy:
    d = settings.delivery
    return RetryPolicy(
        max_attempts=d.max_attempts,
        initial=d.backoff_initial.total_seconds(),
        cap=d.backoff_max.total_seconds(),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class AlertingOutcome:
    """What one run did to the alerts: decisions, enqueued notifications, muted keys."""

    decisions: tuple[Decision, ...]
    enqueued: tuple[tuple[str, Intent], ...]  # (notification id, intent)
    muted: Mapping[str, str]
    report: DispatchReport | None = None

    def summary_lines(self) -> list[str]:
        lines = []
        for notification_id, intent in self.enqueued:
            lines.append(
                f"alert {intent.reason.value}: {intent.record.key} → {intent.channel} "
                f"({notification_id})"
            )
        lines.extend(f"alert muted: {key}: {why}" for key, why in self.muted.items())
        if self.report is not None:
            r = self.report
            lines.append(
                f"alerts delivered: {r.sent} sent, {r.retried} retries, {r.failed} failed, "
                f"{r.dead} dead, {r.waiting} still queued"
            )
        return lines


def process_run(
    db: Database,
    settings: Settings,
    results: Iterable[CheckResult],
    drifts: Iterable[Drift],
    *,
    now: dt.datetime,
) -> AlertingOutcome:
    """Apply a run to the stored alerts and enqueue its notifications, in one transaction."""
    observation = observe(
        results,
        drifts,
        environment_domains={name: e.domain for name, e in settings.environments.items()},
    )
    with db.transaction() as session:
        repo = AlertRepository(session)
        current = repo.load_for(
            {(m.scope, m.check) for m in observation.measured},
            {s.key for s in observation.sightings},
        )
        decisions = evaluate(current, observation, lifecycle_policy(settings.alerts), now)
        repo.save(d.record for d in decisions)
        planned = plan(
            decisions,
            routes=routes(settings.alerts),
            silences=repo.silences(now),
            firing=repo.in_states([AlertState.FIRING]),
            log=repo.log_for(d.record for d in decisions),
            now=now,
        )
        ids = repo.enqueue(planned.intents, now)
    return AlertingOutcome(
        decisions=tuple(decisions),
        enqueued=tuple(zip(ids, planned.intents, strict=True)),
        muted={str(k): v for k, v in planned.muted.items()},
    )


def _env(environ: Mapping[str, str], name: str | None, channel: str, key: str) -> str:
    if not name:
        raise ValueError(f"channel {channel}: {key} is not set")
    value = environ.get(name, "")
    if not value:
        raise ValueError(f"channel {channel}: environment variable {name} ({key}) is not set")
    return value


def build_channel(
    c: ChannelSettings,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> Channel:
    """One channel from its settings, secrets read from the environment.

    Raises:
        ValueError: a named environment variable is missing or holds an unusable secret
            (the message names the variable, never its value).
    """
    environ = os.environ if environ is None else environ
    if c.kind == "slack":
        url = _env(environ, c.webhook_url_env, c.name, "webhook_url_env")
        return SlackChannel(c.name, SlackConfig(webhook_url=url, timeout=c.timeout), session)
    if c.kind == "webhook":
        url = c.url or _env(environ, c.url_env, c.name, "url_env")
        signing = _env(environ, c.secret_env, c.name, "secret_env")
        try:
            return WebhookChannel(
                c.name,
                WebhookConfig(url=url, signing_secret=signing, timeout=c.timeout),
                session,
            )
        except ValueError as exc:
            raise ValueError(f"channel {c.name}: ${c.secret_env}: {exc}") from None
    password = _env(environ, c.password_env, c.name, "password_env") if c.password_env else None
    return EmailChannel(
        c.name,
        EmailConfig(
            host=c.host or "",
            port=c.smtp_port,
            sender=c.from_address or "",
            recipients=c.to,
            security=c.security,
            username=c.username,
            password=password,
            timeout=c.timeout,
            verify_certificate=c.verify_certificate,
            ca_file=c.ca_file,
        ),
    )


def build_channels(
    settings: AlertsSettings,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> tuple[dict[str, Channel], list[str]]:
    """Every configured channel that can be built, and one problem line per one that cannot."""
    environ = os.environ if environ is None else environ
    channels: dict[str, Channel] = {}
    problems: list[str] = []
    for c in settings.channels:
        try:
            channels[c.name] = build_channel(c, environ, session)
        except ValueError as exc:
            problems.append(f"{exc}; its notifications stay queued")
    return channels, problems


def deliver_pending(
    db: Database,
    settings: Settings,
    *,
    clock: Clock,
    wait: float | None = None,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> tuple[DispatchReport, list[str]]:
    """Drain the outbox for up to `wait` seconds (default `alerts.delivery.wait`).

    Returns:
        The dispatch counts and the channels that could not be built (by problem line).
    """
    channels, problems = build_channels(settings.alerts, environ, session)
    for problem in problems:
        log.error("%s", problem)
    delivery = settings.alerts.delivery
    dispatcher = Dispatcher(
        SqlOutboxStore(db),
        channels,
        clock=clock,
        policy=retry_policy(settings.alerts),
        lease=delivery.lease,
    )
    seconds = delivery.wait.total_seconds() if wait is None else wait
    return dispatcher.drain(seconds), problems


def after_run(
    db: Database,
    settings: Settings,
    results: Iterable[CheckResult],
    drifts: Iterable[Drift],
    *,
    clock: Clock,
    deliver: bool = True,
    wait: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> AlertingOutcome:
    """The one-shot commands' hook: lifecycle + outbox, then a bounded delivery attempt.

    With no channels configured this still records the alert states (shown by `alerts list`).
    """
    outcome = process_run(db, settings, results, drifts, now=clock())
    if not deliver or not settings.alerts.channels:
        return outcome
    report, _problems = deliver_pending(db, settings, clock=clock, wait=wait, environ=environ)
    return dataclasses.replace(outcome, report=report)


def after_check_run(
    settings: Settings,
    results: Iterable[CheckResult],
    drifts: Iterable[Drift],
    *,
    wait: float | None = None,
) -> AlertingOutcome:
    """`after_run` for a one-shot command: opens the configured database, uses the alert clock.

    `senderwatch check` and `senderwatch canary` call this once their run is stored, so a
    cron user without the daemon gets firing, reminder and resolved notifications.
    """
    from monitor.storage import open_database

    db = open_database(settings.database.url)
    try:
        return after_run(db, settings, results, drifts, clock=alerts_clock(), wait=wait)
    finally:
        db.dispose()
