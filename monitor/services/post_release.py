"""Post-release runs: a deploy pipeline asks, the daemon's runner runs, the pipeline reads.

enqueue(app, request, key)   validate and queue one request (the HTTP API's POST)
get(app, id)                 the request and, once done, its stored run (GET)
wait(app, id, timeout)       get, but hold until the run is done or `timeout` passes
execute_next(app)            claim the oldest queued request and run it (the daemon's runner)

A request names an environment, a release label and which parts to run:
    "dns"     the DNS checks of the environment's domain
    "smtp"    the environment's relay probe (only where it sends through SMTP)
    "canary"  a canary through the environment's sending path; with "dns" or "smtp" it is one
              run together with the environment's whole plan (DNS checks and relay probe),
              as `senderwatch check --env E --canary` does
Runs carry trigger "deploy" and the release, so history and reports show which deploy they
proved. The queue lives in the database (`monitor.storage.run_requests`), so a request
survives a restart and several replicas claim each request once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.app import App
from monitor.config import ConfigError
from monitor.engine.check_run import CheckRunOutcome, RunStatus, on_run_started
from monitor.errors import ExitCode, UsageError, UserFacingError
from monitor.services.checks import raise_alerts
from monitor.storage import DriftRepository, ResultRepository
from monitor.storage.run_requests import DONE, RunRequest, RunRequestRepository

__all__ = [
    "CHECK_PARTS",
    "NewRun",
    "QueueFull",
    "RequestInvalid",
    "RunDetail",
    "answer_cut_off",
    "enqueue",
    "execute_next",
    "get",
    "wait",
]

log = logging.getLogger(__name__)

CHECK_PARTS = ("dns", "smtp", "canary")
_POLL_S = 0.1
_ERROR = RunStatus.ERROR.value


class RequestInvalid(UsageError):
    """The request names something that does not exist; `field` says which part."""

    def __init__(self, field: str, message: str, code: str = "invalid_field") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class QueueFull(UserFacingError):
    """Too many post-release runs are already waiting; the pipeline should retry later."""

    exit_code = ExitCode.ERROR_ONLY


@dataclasses.dataclass(frozen=True, slots=True)
class NewRun:
    """What a pipeline asks for (already shaped: strings, not yet checked against config)."""

    environment: str
    release: str
    checks: tuple[str, ...] = CHECK_PARTS


@dataclasses.dataclass(frozen=True, slots=True)
class RunDetail:
    """A request and, once its run is stored, that run as `senderwatch check` sees it."""

    request: RunRequest
    outcome: CheckRunOutcome | None


def enqueue(app: App, request: NewRun, idempotency_key: str | None = None) -> RunRequest:
    """Queue `request`; with a key seen before, the request made then.

    Raises:
        RequestInvalid: unknown environment or check part, a part the environment cannot
            run, or the key reused for a different request.
        QueueFull: `api.max_queued` requests are already waiting.
    """
    checks = _validated(app, request)
    if idempotency_key is not None:
        known = _by_key(app, idempotency_key)
        if known is not None:
            return _same_or_refuse(known, request, checks)
    try:
        with app.database.transaction() as session:
            repo = RunRequestRepository(session)
            if repo.count_queued() >= app.settings.api.max_queued:
                raise QueueFull(
                    f"{app.settings.api.max_queued} post-release runs are already queued; "
                    "retry when they have run"
                )
            return repo.add(
                environment=request.environment,
                release=request.release,
                checks=checks,
                idempotency_key=idempotency_key,
                requested_at=app.clock(),
            )
    except IntegrityError:
        # The same key arrived twice at once: the other transaction won; answer with its row.
        if idempotency_key is None:
            raise
        known = _by_key(app, idempotency_key)
        if known is None:
            raise
        return _same_or_refuse(known, request, checks)


def get(app: App, request_id: int) -> RunDetail | None:
    """The request `request_id` with its stored run once done; None if there is none."""
    with app.database.transaction() as session:
        request = RunRequestRepository(session).get(request_id)
        if request is None:
            return None
        if request.state != DONE or request.run_id is None:
            return RunDetail(request, None)
        return RunDetail(request, _stored_outcome(session, request.run_id))


def wait(app: App, request_id: int, timeout: float) -> RunDetail | None:
    """`get`, held until the request is done or `timeout` seconds passed (then as it is)."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        detail = get(app, request_id)
        if detail is None or detail.request.state == DONE:
            return detail
        left = deadline - time.monotonic()
        if left <= 0:
            return detail
        time.sleep(min(_POLL_S, left))


def execute_next(app: App) -> bool:
    """Claim the oldest queued request, run it, record its outcome; False if none was queued.

    A request that cannot run (its environment was removed by a reload, a secret is unset)
    is recorded as done with status `error` and the reason, never dropped.
    """
    request = _claim(app)
    if request is None:
        return False
    try:
        with on_run_started(lambda run: _link_run(app, request.id, run.id)):
            outcome = _run(app, request)
    except ConfigError as exc:
        _finish(
            app, request.id, run_id=None, status=_ERROR, exit_code=ExitCode.CONFIG, error=str(exc)
        )
        return True
    except UserFacingError as exc:
        _finish(
            app, request.id, run_id=None, status=_ERROR, exit_code=exc.exit_code, error=str(exc)
        )
        return True
    except Exception as exc:
        log.exception("post-release run %d crashed", request.id)
        reason = f"the run crashed: {type(exc).__name__}: {exc}"
        _finish(
            app, request.id, run_id=None, status=_ERROR, exit_code=ExitCode.ERROR_ONLY, error=reason
        )
        return True
    _finish(
        app,
        request.id,
        run_id=outcome.run_id,
        status=outcome.status.value,
        exit_code=outcome.exit_code,
        error=None,
    )
    # The same alert lifecycle as `senderwatch check`; delivery is the outbox job's business.
    raise_alerts(app, outcome, deliver=False)
    log.info(
        "post-release run %d: %s release %s: %s (run %d)",
        request.id,
        request.environment,
        request.release,
        outcome.status.value,
        outcome.run_id,
    )
    return True


def interrupt_running(app: App, *, since: dt.datetime | None = None) -> list[int]:
    """Finish requests whose runner stopped mid-run (the daemon's shutdown cut them off, or a
    previous daemon died) as `done` with status `interrupted`, so a waiting pipeline gets an
    answer (exit 5: no verdict) instead of `running` forever. Their ids."""
    with app.database.transaction() as session:
        return RunRequestRepository(session).interrupt_running(
            since=since,
            finished_at=app.clock(),
            exit_code=ExitCode.NO_VERDICT,
            error="the daemon stopped before the run finished; trigger it again",
        )


def answer_cut_off(app: App) -> list[int]:
    """Answer `interrupted` the running requests whose run was stored interrupted (a replica
    that died or stopped mid-run): another replica's sweep gives the pipeline its answer."""
    with app.database.transaction() as session:
        return RunRequestRepository(session).answer_cut_off(
            finished_at=app.clock(),
            exit_code=ExitCode.NO_VERDICT,
            error="the replica running it stopped before the run finished; trigger it again",
        )


def _link_run(app: App, request_id: int, run_id: int) -> None:
    with app.database.transaction() as session:
        RunRequestRepository(session).set_run(request_id, run_id)


def _validated(app: App, request: NewRun) -> tuple[str, ...]:
    environments = app.settings.environments
    env = environments.get(request.environment)
    if env is None:
        known = ", ".join(sorted(environments)) or "none configured"
        raise RequestInvalid(
            "environment",
            f"unknown environment {request.environment!r} (environments: {known})",
            "unknown_environment",
        )
    if not request.checks:
        raise RequestInvalid("checks", "checks is empty: name at least one of dns, smtp, canary")
    for index, part in enumerate(request.checks):
        if part not in CHECK_PARTS:
            raise RequestInvalid(
                f"checks[{index}]",
                f"unknown check {part!r} (one of {', '.join(CHECK_PARTS)})",
                "unknown_check",
            )
    if "smtp" in request.checks and env.smtp is None:
        raise RequestInvalid(
            "checks", f"environment {request.environment!r} has no smtp relay to probe"
        )
    if "canary" in request.checks and (
        env.inbox is None or env.from_address is None or env.to is None
    ):
        raise RequestInvalid(
            "checks", f"environment {request.environment!r} has no canary (from, to, inbox)"
        )
    return tuple(part for part in CHECK_PARTS if part in request.checks)


def _by_key(app: App, idempotency_key: str) -> RunRequest | None:
    with app.database.transaction() as session:
        return RunRequestRepository(session).by_key(idempotency_key)


def _same_or_refuse(known: RunRequest, request: NewRun, checks: Sequence[str]) -> RunRequest:
    """A retried request returns the first; the same key for another request is an error."""
    if (known.environment, known.release, known.checks) != (
        request.environment,
        request.release,
        tuple(checks),
    ):
        raise RequestInvalid(
            "Idempotency-Key",
            f"Idempotency-Key was used for another request (run {known.id})",
            "idempotency_key_reused",
        )
    return known


def _claim(app: App) -> RunRequest | None:
    """The oldest queued request, now `running` and ours; None when the queue is empty."""
    while True:
        with app.database.transaction() as session:
            repo = RunRequestRepository(session)
            request_id = repo.oldest_queued_id()
            if request_id is None:
                return None
            if repo.claim(request_id, started_at=app.clock()):
                return repo.get(request_id)
        # Another runner claimed it between our read and our update: try the next one.


def _run(app: App, request: RunRequest) -> CheckRunOutcome:
    """Run the request's parts as one stored run with trigger "deploy" and its release."""
    from monitor.engine.check_run import run_checks
    from monitor.services import canary as canary_service
    from monitor.services import checks as check_service

    if "canary" in request.checks:
        with_dns = "dns" in request.checks or "smtp" in request.checks
        return canary_service.run(
            app, request.environment, release=request.release, with_dns=with_dns, trigger="deploy"
        ).outcome
    specs = [
        spec
        for spec in check_service.plan(app, env=request.environment)
        if spec.check_id.split(".", 1)[0] in request.checks
    ]
    return run_checks(
        app.settings,
        env=request.environment,
        release=request.release,
        trigger="deploy",
        specs=specs,
        database=app.database,
        clock=app.clock,
    )


def _finish(
    app: App,
    request_id: int,
    *,
    run_id: int | None,
    status: str,
    exit_code: int,
    error: str | None,
) -> None:
    with app.database.transaction() as session:
        RunRequestRepository(session).finish(
            request_id,
            finished_at=app.clock(),
            run_id=run_id,
            status=status,
            exit_code=exit_code,
            error=error,
        )


def _stored_outcome(session: Session, run_id: int) -> CheckRunOutcome | None:
    """The request's run rebuilt from storage, as `check --format json` shows it; None when
    it has no verdict (`interrupted`)."""
    results_repo = ResultRepository(session)
    run = results_repo.get_run(run_id)
    if run is None or run.status not in {s.value for s in RunStatus}:
        return None
    results = results_repo.of_run(run.id)
    drifts = DriftRepository(session)
    stored_drifts = tuple(d for r in results for d in drifts.of_result(r.id))
    return CheckRunOutcome(
        run=run,
        results=tuple(results),
        drifts=stored_drifts,
        new_baselines=(),
        status=RunStatus(run.status),
    )
