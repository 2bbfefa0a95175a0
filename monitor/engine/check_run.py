"""One check run end to end: plan → run → store → baselines and drift → status.

`senderwatch check` is a thin wrapper around `run_checks`; the daemon, the alert lifecycle
and the canary reuse the pieces:

    run_checks(settings, ...)            plan + run + record, the whole thing
      start_run(db, ...)                 the run row, written before any check runs
      RunHeartbeat                       monitor.engine.run_lease: the run's lease kept fresh
      stream_specs(...)                  monitor.engine.runner: results handed over as they finish
      _StreamRecorder                    stores them in batches: results + baselines + drift
    record_results(db, run, results)     the same for results gathered elsewhere (a canary)

The run row is committed first, so a run that dies half way stays visible as unfinished, and
its lease (renewed by a heartbeat and by each batch) running out lets the next command mark it
`interrupted` (monitor.storage.runs).
Results are stored in batches while the run goes on (memory stays flat for thousands of
domains); each batch commits its results with their drift, so a reader never sees a result
without its drift, and the run's status is written when the last batch is in.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from checks.base import Clock, utcnow
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Severity, Status
from monitor.config import Settings
from monitor.engine.baselines import record_evaluations
from monitor.engine.plan import CheckSpec, build_plan, default_registry
from monitor.engine.run_lease import RunHeartbeat
from monitor.engine.runner import Progress, stream_specs
from monitor.errors import ExitCode
from monitor.policy.drift import Direction, Drift
from monitor.storage import (
    Baseline,
    Database,
    ResultRepository,
    RunRecord,
    StoredDrift,
    StoredResult,
    open_database,
)
from monitor.storage.runs import DEFAULT_LEASE_S, RunLeases

__all__ = [
    "CheckRunOutcome",
    "RunStatus",
    "on_run_started",
    "record_results",
    "run_checks",
    "run_status",
    "start_run",
]


class RunStatus(enum.StrEnum):
    """The verdict of a whole run, and the exit code `senderwatch check` gives for it."""

    PASS = "pass"  # noqa: S105 - a status word, not a password
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def exit_code(self) -> ExitCode:
        """0 pass/warn, 1 fail, 3 error."""
        return _EXIT_CODES[self]


_EXIT_CODES = {
    RunStatus.PASS: ExitCode.OK,
    RunStatus.WARN: ExitCode.OK,
    RunStatus.FAIL: ExitCode.FAILED,
    RunStatus.ERROR: ExitCode.ERROR_ONLY,
}


@dataclasses.dataclass(frozen=True, slots=True)
class CheckRunOutcome:
    """What one run measured and what it meant; every part carries its stored id."""

    run: RunRecord
    results: tuple[StoredResult, ...]
    drifts: tuple[StoredDrift, ...]
    new_baselines: tuple[Baseline, ...]
    status: RunStatus

    @property
    def run_id(self) -> int:
        return self.run.id

    @property
    def exit_code(self) -> ExitCode:
        return self.status.exit_code


def run_status(results: Iterable[CheckResult], drifts: Iterable[Drift]) -> RunStatus:
    """Worst first: a failed check or a critical weakening fails the run; then anything
    that could not be measured makes it ERROR (never green while blind); then warnings."""
    statuses = {r.status for r in results}
    critical = any(
        d.severity is Severity.CRITICAL and d.direction is Direction.WEAKENED for d in drifts
    )
    if Status.FAIL in statuses or critical:
        return RunStatus.FAIL
    if Status.ERROR in statuses:
        return RunStatus.ERROR
    if Status.WARN in statuses:
        return RunStatus.WARN
    return RunStatus.PASS


def run_checks(
    settings: Settings,
    *,
    domains: Sequence[str] | None = None,
    env: str | None = None,
    trigger: str = "cli",
    release: str | None = None,
    specs: Sequence[CheckSpec] | None = None,
    registry: Mapping[str, type] | None = None,
    database: Database | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
    resolver: Resolver | None = None,
    keep_evidence: bool = True,
) -> CheckRunOutcome:
    """Run the DNS checks now, store everything, evaluate baselines and drift.

    Args:
        settings: validated configuration.
        domains, env: what to check (see `monitor.engine.plan.build_plan`).
        trigger: what started the run ("cli", "daemon", "deploy", ...), stored on the run.
        release: an optional release label (deploy pipelines), stored on the run.
        specs: run exactly these instead of planning from settings (e.g. plan + canary).
        registry: check classes by id; default `checks.registry.CHECKS`.
        database: an open database; default: open (and migrate) `settings.database.url`.
        clock: time source.
        progress: called once per finished check (progress bars).
        resolver: the run's resolver (default: a fresh one from `settings.dns`).
        keep_evidence: keep passing results' evidence in the outcome (JSON output); the
            database always stores it whole.

    Raises:
        PlanError: unknown domain or environment, or nothing to check.
        DatabaseProblem: the database cannot be used (nothing written if found at open).
    """
    if registry is None:
        registry = default_registry()
    plan = (
        list(specs)
        if specs is not None
        else build_plan(settings, domains=domains, env=env, registry=registry)
    )
    db = database or open_database(settings.database.url)
    lease_s = settings.database.run_lease
    try:
        run = start_run(db, trigger=trigger, release=release, started_at=clock(), lease_s=lease_s)
        recorder = _StreamRecorder(
            db, run, clock=clock, keep_evidence=keep_evidence, lease_s=lease_s
        )

        def on_result(index: int, result: CheckResult) -> None:
            recorder.add(index, result)
            if progress is not None:
                progress(result)

        with RunHeartbeat(db, run.id, lease_s=lease_s):
            stream_specs(
                plan,
                dns=settings.dns,
                registry=registry,
                on_result=on_result,
                clock=clock,
                resolver=resolver,
            )
            return recorder.finish(finished_at=clock())
    finally:
        if database is None:
            db.dispose()


class _StreamRecorder:
    """Stores results in batches while the run goes on, so memory stays flat however many
    domains a run has. Each batch's results and their drift commit together: a reader never
    sees a result without its drift. The run row gets its status when the last batch is in.

    Evidence of a passing result is dropped from memory once stored (unless the caller wants
    it, e.g. for JSON output); failure evidence stays for alerts, which quote it.
    """

    BATCH = 250

    def __init__(
        self,
        db: Database,
        run: RunRecord,
        *,
        clock: Clock,
        keep_evidence: bool,
        lease_s: float,
    ) -> None:
        self.db, self.run, self.clock, self.keep_evidence = db, run, clock, keep_evidence
        self.lease_s = lease_s
        self.pending: list[tuple[int, CheckResult]] = []
        self.stored: dict[int, StoredResult] = {}
        self.drifts: list[StoredDrift] = []
        self.baselines: list[Baseline] = []

    def add(self, index: int, result: CheckResult) -> None:
        self.pending.append((index, result))
        if len(self.pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        indexes = [i for i, _ in self.pending]
        with self.db.transaction() as session:
            stored = ResultRepository(session).add_all(self.run.id, [r for _, r in self.pending])
            baselines, drifts = record_evaluations(session, stored, now=self.clock())
            RunLeases(session).renew(self.run.id, self.lease_s)  # a batch is a sign of life
        self.baselines += baselines
        self.drifts += drifts
        for index, item in zip(indexes, stored, strict=True):
            self.stored[index] = item if self.keep_evidence else _slim(item)
        self.pending = []

    def finish(self, *, finished_at: dt.datetime) -> CheckRunOutcome:
        self._flush()
        results = tuple(self.stored[i] for i in sorted(self.stored))
        status = run_status((s.result for s in results), (d.drift for d in self.drifts))
        with self.db.transaction() as session:
            finished = ResultRepository(session).finish_run(
                self.run.id, finished_at=finished_at, status=status.value
            )
        return CheckRunOutcome(
            run=finished,
            results=results,
            drifts=tuple(self.drifts),
            new_baselines=tuple(self.baselines),
            status=status,
        )


def _slim(stored: StoredResult) -> StoredResult:
    """The stored result without its evidence when it passed (the database keeps it whole)."""
    if stored.result.status is not Status.PASS or not stored.result.evidence:
        return stored
    return dataclasses.replace(stored, result=dataclasses.replace(stored.result, evidence={}))


_RUN_STARTED: contextvars.ContextVar[Callable[[RunRecord], None] | None] = contextvars.ContextVar(
    "senderwatch_run_started", default=None
)


@contextlib.contextmanager
def on_run_started(callback: Callable[[RunRecord], None]) -> Iterator[None]:
    """Within the block (this thread), `callback` is told each run row `start_run` writes.

    The daemon's replicas link a claimed tick to the run it produced this way, so a replica
    taking over a dead one's tick can store exactly that run `interrupted`; the services in
    between need not know about ticks. Blocks nest: an outer block's callback is told too.
    """
    outer = _RUN_STARTED.get()

    def both(run: RunRecord) -> None:
        if outer is not None:
            outer(run)
        callback(run)

    token = _RUN_STARTED.set(both)
    try:
        yield
    finally:
        _RUN_STARTED.reset(token)


def start_run(
    db: Database,
    *,
    trigger: str,
    started_at: dt.datetime,
    release: str | None = None,
    lease_s: float = DEFAULT_LEASE_S,
) -> RunRecord:
    """Write the run row, holding a lease of `lease_s`, before any check runs (committed at
    once); keep the lease with `RunHeartbeat` while the run goes on."""
    with db.transaction() as session:
        run = ResultRepository(session).start_run(
            trigger=trigger, started_at=started_at, release=release, lease_s=lease_s
        )
    callback = _RUN_STARTED.get()
    if callback is not None:
        callback(run)
    return run


def record_results(
    db: Database, run: RunRecord, results: Sequence[CheckResult], *, finished_at: dt.datetime
) -> CheckRunOutcome:
    """Store `results` under `run`, evaluate each against its baseline, finish the run.

    Results may come from several sources (DNS checks, a canary): each is stored, a first
    measured result becomes its key's baseline, later ones store their drift. One commit.
    """
    with db.transaction() as session:
        repo = ResultRepository(session)
        stored_results = repo.add_all(run.id, results)
        baselines, drifts = record_evaluations(session, stored_results, now=finished_at)
        status = run_status(results, (d.drift for d in drifts))
        finished = repo.finish_run(run.id, finished_at=finished_at, status=status.value)
    return CheckRunOutcome(
        run=finished,
        results=tuple(stored_results),
        drifts=tuple(drifts),
        new_baselines=tuple(baselines),
        status=status,
    )
