"""Send a canary now: the one entry point for `senderwatch canary`, `check --canary`, the HTTP
API and the scheduler. The work is `monitor.engine.canary_run`; this binds it to the App."""

from __future__ import annotations

from monitor.app import App
from monitor.engine.canary_run import CanaryRunOutcome, run_canary
from monitor.engine.late_canaries import LateSweep, sweep_late_canaries

__all__ = ["CanaryRunOutcome", "LateSweep", "run", "sweep_late"]


def run(
    app: App,
    env: str,
    *,
    release: str | None = None,
    timeout: float | None = None,
    with_dns: bool = False,
    trigger: str = "canary",
) -> CanaryRunOutcome:
    """Send environment `env`'s canary, store what the receiver proved, clean the inbox.

    Raises:
        PlanError: unknown environment, or it has no canary.
        ConfigError: a secret the canary needs is not set (before anything is sent).
        DatabaseUnavailable: the database cannot be used.
    """
    return run_canary(
        app.settings,
        env,
        release=release,
        timeout=timeout,
        with_dns=with_dns,
        trigger=trigger,
        database=app.database,
        clock=app.clock,
        environ=app.environ,
    )


def sweep_late(app: App, env: str) -> LateSweep:
    """Look in environment `env`'s inbox for canaries its runs gave up on within
    `daemon.late_canary_window`; record those that arrived late and remove them.

    Raises:
        ConfigError: the environment has no inbox, or its password variable is unset.
        DatabaseUnavailable: the database cannot be used.
    """
    return sweep_late_canaries(
        app.settings,
        app.database,
        env,
        window=app.settings.daemon.late_canary_window,
        clock=app.clock,
        environ=app.environ,
    )
