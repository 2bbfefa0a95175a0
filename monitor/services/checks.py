"""Run checks now: the one entry point for `senderwatch check`, the HTTP API and the scheduler.

plan(app, domains, env)          what would run (usage errors raised before anything runs)
run(app, ...)                    plan + run + store + baselines and drift (+ canary gate)
raise_alerts(app, outcome)       the alert lifecycle on a stored run, then bounded delivery
"""

from __future__ import annotations

from collections.abc import Sequence

from checks.result import CheckResult
from monitor.app import App
from monitor.engine.alerting import AlertingOutcome, after_run
from monitor.engine.check_run import CheckRunOutcome, run_checks
from monitor.engine.plan import CheckSpec, PlanError, build_plan, default_registry
from monitor.engine.runner import Progress
from monitor.wiring.checks import PlanContext

__all__ = ["plan", "plan_context", "raise_alerts", "run"]


def plan(app: App, *, domains: Sequence[str] = (), env: str | None = None) -> list[CheckSpec]:
    """The checks a request would run, in order.

    Raises:
        PlanError: unknown domain or environment, both given, or nothing to check.
    """
    return build_plan(
        app.settings,
        domains=domains or None,
        env=env,
        registry=default_registry(),
        context=plan_context(app),
    )


def plan_context(app: App) -> PlanContext:
    """What environment checks read beyond the settings: the newest stored results (the
    canary's connecting IP) and the App's long-lived state (blocklist cache, rate limits)."""

    def latest_result(check: str, subject: str, environment: str | None) -> CheckResult | None:
        from monitor.storage import ResultRepository

        with app.database.transaction() as session:
            stored = ResultRepository(session).latest_measured(check, subject, environment)
        return None if stored is None else stored.result

    return PlanContext(latest_result=latest_result, state=app.check_state, environ=app.environ)


def run(
    app: App,
    *,
    domains: Sequence[str] = (),
    env: str | None = None,
    release: str | None = None,
    trigger: str = "cli",
    canary: bool = False,
    progress: Progress | None = None,
    keep_evidence: bool = True,
) -> CheckRunOutcome:
    """Run the DNS checks (and with `canary`, environment `env`'s canary) as one stored run.

    Raises:
        PlanError: the request cannot be planned (see `plan`); `canary` without `env`.
        ConfigError: a secret the canary needs is not set.
        DatabaseUnavailable: the database cannot be used.
    """
    if canary:
        if env is None:
            raise PlanError("--canary needs --env: the environment whose canary to send")
        from monitor.services.canary import run as run_canary

        return run_canary(app, env, release=release, with_dns=True, trigger=trigger).outcome
    specs = plan(app, domains=domains, env=env)
    return run_checks(
        app.settings,
        env=env,
        release=release,
        trigger=trigger,
        specs=specs,
        database=app.database,
        clock=app.clock,
        progress=progress,
        keep_evidence=keep_evidence,
    )


def raise_alerts(
    app: App, outcome: CheckRunOutcome, *, wait: float | None = None, deliver: bool = True
) -> AlertingOutcome:
    """Apply a stored run to the alerts and, with `deliver`, deliver what it produced, waiting
    at most `wait` seconds (default `alerts.delivery.wait`), so cron users without the daemon
    still get firing, reminder and resolved notifications. The daemon passes
    `deliver=False`: its outbox job delivers."""
    return after_run(
        app.database,
        app.settings,
        [stored.result for stored in outcome.results],
        [stored.drift for stored in outcome.drifts],
        clock=app.alerts_clock,
        deliver=deliver,
        wait=wait,
        environ=app.environ,
    )
