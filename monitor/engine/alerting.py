"""The bridge from a finished run to notifications: lifecycle in one transaction, then delivery.

    process_run(db, settings, results, drifts, now)
        baseline finding codes → alert_mapping.observe → lifecycle.evaluate → routing.plan,
        then alert states and outbox rows are written in ONE transaction: a state change never
        exists without its notification rows, nor a row without its state change.
    deliver_pending(db, settings, clock, wait)
        the outbox dispatcher over the configured channels, for at most `wait` seconds.
    after_run(...)
        both, as the one-shot commands (`check`, `canary`) call them before they exit.

Channels, routes and policies come from `monitor.wiring.alerts`; a channel whose secret is
missing is reported by name (never by value) and its rows stay queued.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from alerts.event import AlertState
from alerts.lifecycle import Decision, RunObservation, evaluate
from alerts.outbox import Dispatcher, DispatchReport
from alerts.routing import Intent, plan
from checks.result import CheckResult
from monitor.config import Settings
from monitor.policy.alert_mapping import observe
from monitor.policy.drift import Drift
from monitor.storage.alerts_store import AlertRepository, SqlOutboxStore
from monitor.storage.baselines import BaselineRepository
from monitor.storage.engine import Database
from monitor.storage.key_locks import ALERT_SCOPES, lock_keys
from monitor.wiring.alerts import (
    Clock,
    alerts_clock,
    build_channels,
    lifecycle_policy,
    retry_policy,
    routes,
)

if TYPE_CHECKING:
    import requests

__all__ = [
    "AlertingOutcome",
    "after_check_run",
    "after_run",
    "deliver_pending",
    "process_observation",
    "process_run",
]

log = logging.getLogger("senderwatch.alerts")


@dataclasses.dataclass(frozen=True, slots=True)
class AlertingOutcome:
    """What one run did to the alerts: decisions, enqueued notifications, muted keys."""

    decisions: tuple[Decision, ...]
    enqueued: tuple[tuple[str, Intent], ...]  # (notification id, intent)
    muted: Mapping[str, str]
    report: DispatchReport | None = None


def process_run(
    db: Database,
    settings: Settings,
    results: Iterable[CheckResult],
    drifts: Iterable[Drift],
    *,
    now: dt.datetime,
) -> AlertingOutcome:
    """Apply a run to the stored alerts and enqueue its notifications, in one transaction.

    The baselines' finding codes of the measured keys are read first (one query), so the
    mapping can tell a warning that was already there when the baseline was taken (posture,
    no page) from a new one.
    """
    results = list(results)
    with db.transaction() as session:
        accepted = BaselineRepository(session).finding_codes_for(
            {(r.check, r.subject, r.environment) for r in results}
        )
        observation = observe(
            results,
            drifts,
            baseline_codes=accepted,
            environment_domains={name: e.domain for name, e in settings.environments.items()},
        )
        return _apply(session, settings, observation, now)


def process_observation(
    db: Database, settings: Settings, observation: RunObservation, *, now: dt.datetime
) -> AlertingOutcome:
    """`process_run` for problems that are not check results (DMARC report figures): the
    same lifecycle, routing and outbox, in one transaction."""
    with db.transaction() as session:
        return _apply(session, settings, observation, now)


def _apply(
    session: Session, settings: Settings, observation: RunObservation, now: dt.datetime
) -> AlertingOutcome:
    # Replicas applying runs over the same domain or environment take turns, so one problem
    # is never fired twice (monitor.storage.key_locks; a unique index backs it).
    lock_keys(
        session,
        ALERT_SCOPES,
        {m.scope for m in observation.measured} | {s.key.scope for s in observation.sightings},
    )
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
    report = dispatcher.drain(seconds)
    if problems:
        # Rows of channels that could not be built are still queued: count them, so "queued
        # 4" is never followed by "0 still queued".
        configured = [c.name for c in settings.alerts.channels]
        report.waiting = SqlOutboxStore(db).count_waiting(configured)
    return report, problems


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
