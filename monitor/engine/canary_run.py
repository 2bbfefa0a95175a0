"""One canary run end to end: settings → round trip → stored result → inbox cleaned up.

`senderwatch canary` and `senderwatch check --canary` are thin wrappers around `run_canary`:

    1. build the canary config from settings, secrets resolved here (ConfigError / PlanError
       before anything is sent or stored)
    2. start the run row (committed at once, as `run_checks` does)
    3. optionally run the environment domain's DNS checks (the post-release gate)
    4. run the round trip; an unexpected exception becomes an ERROR result `check.crashed`
       (`monitor.engine.guard`, the same wrapper the runner uses for every other check)
    5. store results, baselines and drift in one commit (`record_results`), then the
       `canary_messages` row
    6. only then delete or move the canary in the inbox, and record that it was removed

Step 6 comes after step 5 because input is removed only once its outcome is stored: if the
process dies in between, the canary is still in the inbox and its result is already stored;
nothing is lost, the inbox is one message longer.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from checks.base import CheckContext, Clock, utcnow
from checks.canary.inbox import InboxError, InboxReader
from checks.canary.inspect import TrustPolicy
from checks.canary.record import CanaryRecord
from checks.canary.roundtrip import CanaryConfig, CanaryRoundTrip
from checks.canary.senders import Sender
from checks.result import CheckResult
from monitor.config import Settings
from monitor.config.environments import EnvironmentSettings
from monitor.engine.check_run import CheckRunOutcome, record_results, start_run
from monitor.engine.guard import guarded
from monitor.engine.plan import PlanError, build_plan, default_registry
from monitor.engine.run_lease import RunHeartbeat
from monitor.engine.runner import make_resolver, run_specs
from monitor.storage import Database, StoredResult, open_database
from monitor.storage.canary_models import CanaryRepository
from monitor.wiring.canary import inbox_config, sender_config

__all__ = ["CanaryRunOutcome", "canary_config", "run_canary"]


@dataclasses.dataclass(frozen=True, slots=True)
class CanaryRunOutcome:
    """The stored run, the canary that was sent, and what happened to it in the inbox.

    Attributes:
        outcome: the run as `run_checks` would return it (status, exit code, drift).
        record: the sent canary (None when nothing was sent).
        acknowledged: the canary was deleted or moved from the inbox.
        ack_error: why it could not be removed (it stays in the inbox), or None.
    """

    outcome: CheckRunOutcome
    record: CanaryRecord | None
    acknowledged: bool
    ack_error: str | None = None

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code


def canary_config(
    settings: Settings,
    env_name: str,
    *,
    release: str | None = None,
    timeout: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> CanaryConfig:
    """Environment `env_name`'s canary, with its secrets read from `environ`.

    Raises:
        PlanError: no such environment, or it has no canary (from, to, sender, inbox).
        ConfigError: a secret's environment variable is not set.
    """
    env = _environment(settings, env_name)
    inbox = env.inbox
    if inbox is None or env.from_address is None or env.to is None:
        raise PlanError(
            f"environment {env_name!r} has no canary: set from, to, a sending path "
            "(smtp or http) and an inbox"
        )
    environ = os.environ if environ is None else environ
    domain = settings.domain(env.domain)
    selectors = env.dkim_selectors or (domain.dkim_selectors if domain else ())
    return CanaryConfig(
        from_addr=env.from_address,
        to_addr=env.to,
        sender=sender_config(env_name, env, environ),
        inbox=inbox_config(env_name, env, environ),
        trust=TrustPolicy(inbox.trusted_authserv_ids, inbox.receiver),
        dkim_selectors=selectors,
        timeout=timeout if timeout is not None else env.timeout,
        latency_warn=env.latency_warn,
        release=release,
        list_unsubscribe=env.list_unsubscribe,
    )


def _environment(settings: Settings, env_name: str) -> EnvironmentSettings:
    env = settings.environments.get(env_name)
    if env is None:
        known = ", ".join(sorted(settings.environments)) or "none configured"
        raise PlanError(f"unknown environment {env_name!r} (known: {known})")
    return env


def run_canary(
    settings: Settings,
    env_name: str,
    *,
    release: str | None = None,
    timeout: float | None = None,
    with_dns: bool = False,
    trigger: str = "canary",
    database: Database | None = None,
    clock: Clock = utcnow,
    environ: Mapping[str, str] | None = None,
    sender: Sender | None = None,
    inbox: InboxReader | None = None,
) -> CanaryRunOutcome:
    """Send environment `env_name`'s canary now and store what the receiver proved.

    Args:
        settings: validated configuration.
        env_name: the environment to prove.
        release: release tag, carried in the canary and stored on the run.
        timeout: seconds to wait in the inbox; default the environment's `timeout`.
        with_dns: also run the DNS checks of the environment's domain in the same run.
        trigger: stored on the run ("canary", "cli", "daemon", "deploy").
        database: an open database; default: open (and migrate) `settings.database.url`.
        clock: time source.
        environ: where secrets are read; default `os.environ`.
        sender, inbox: injected transports (tests, embedding callers).

    Raises:
        PlanError, ConfigError: before anything is sent or stored.
        DatabaseProblem: the database cannot be used.
    """
    config = canary_config(settings, env_name, release=release, timeout=timeout, environ=environ)
    registry = default_registry()
    specs = build_plan(settings, env=env_name, registry=registry) if with_dns else []
    db = database or open_database(settings.database.url)
    lease_s = settings.database.run_lease
    try:
        run = start_run(db, trigger=trigger, release=release, started_at=clock(), lease_s=lease_s)
        # The lease stays fresh while the canary waits in the inbox (monitor.storage.runs).
        with RunHeartbeat(db, run.id, lease_s=lease_s):
            results = (
                run_specs(specs, dns=settings.dns, registry=registry, clock=clock) if specs else []
            )
            resolver = make_resolver(settings.dns)
            ctx = CheckContext(resolver=resolver, clock=clock, environment=env_name)
            with CanaryRoundTrip(env_name, config, ctx, sender=sender, inbox=inbox) as trip:
                canary = guarded("canary.canary", env_name, env_name, ctx.clock, trip.run)
                outcome = record_results(db, run, [*results, canary], finished_at=clock())
                record = trip.record
                if record is not None:
                    _store_record(db, record, run.id, _stored_id(outcome.results, canary))
                acknowledged, ack_error = _acknowledge(db, trip, record, clock)
        return CanaryRunOutcome(outcome, record, acknowledged, ack_error)
    finally:
        if database is None:
            db.dispose()


def _stored_id(stored: tuple[StoredResult, ...], result: CheckResult) -> int | None:
    """The id the canary result was stored under (a run holds one canary result)."""
    key = (result.kind, result.check, result.subject)
    return next(
        (s.id for s in stored if (s.result.kind, s.result.check, s.result.subject) == key), None
    )


def _store_record(db: Database, record: CanaryRecord, run_id: int, result_id: int | None) -> None:
    with db.transaction() as session:
        CanaryRepository(session).add(record, run_id=run_id, result_id=result_id)


def _acknowledge(
    db: Database, trip: CanaryRoundTrip, record: CanaryRecord | None, clock: Clock
) -> tuple[bool, str | None]:
    """Remove the stored canary from the inbox; report (never raise) when the inbox refuses."""
    try:
        removed = trip.acknowledge()
    except InboxError as exc:
        return False, f"the canary stays in the inbox: {exc.step} failed: {exc.text}"
    if removed and record is not None:
        with db.transaction() as session:
            CanaryRepository(session).mark_acknowledged(record.token, clock())
    return removed, None
