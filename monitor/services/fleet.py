"""Replicas sharing one PostgreSQL: claiming ticks, DNS cycle batches, takeover, the fleet view.

The daemon (monitor.daemon.replicas) and `senderwatch status` call these; the rows and the
claiming statements are in monitor.storage.fleet (docs/scaling.md explains the design).

    register / beat / retire          the replica's own row and heartbeat
    claim_tick(app, job, fire, ...)   INSERT the unique (job, fire time) row: won or lost
    take_over(app, ...)               an unfinished tick whose lease ran out: now ours, its
                                      cut-off run stored `interrupted`
    next_batch / run_batch / finish_batch
                                      a DNS cycle's batches, claimed with SKIP LOCKED
    status(app)                       replicas seen, their heartbeats, the jobs they hold
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import socket
from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from checks.dns.resolver import Resolver
from monitor.app import App
from monitor.engine.check_run import CheckRunOutcome, RunStatus, run_checks
from monitor.engine.plan import CheckSpec
from monitor.storage import INTERRUPTED, RunLeases, RunRecord
from monitor.storage.fleet import (
    Batch,
    BatchRepository,
    Replica,
    ReplicaRepository,
    Tick,
    TickRepository,
)
from monitor.storage.runs import database_now

__all__ = [
    "DONE",
    "FleetStatus",
    "JobHolder",
    "ReplicaState",
    "RunRecord",
    "Takeover",
    "answer_cut_off_requests",
    "claim_tick",
    "find_tick",
    "finish_batch",
    "finish_tick",
    "interrupt_runs",
    "link_run",
    "mark_dead_runs",
    "new_replica_id",
    "next_batch",
    "open_cycles",
    "register",
    "renew",
    "retire",
    "run_batch",
    "settle_cycle",
    "specs_by_subject",
    "status",
    "take_over",
    "unfinished",
]

DONE, FAILED = "done", "failed"


def new_replica_id() -> str:
    """`host-pid-random`: unique per process, readable in `senderwatch status`."""
    return f"{socket.gethostname()[:80]}-{os.getpid()}-{secrets.token_hex(3)}"


def register(app: App, replica_id: str) -> Replica:
    with app.database.transaction() as session:
        return ReplicaRepository(session).register(
            replica_id, hostname=socket.gethostname()[:253], pid=os.getpid()
        )


def beat(app: App, replica_id: str) -> None:
    with app.database.transaction() as session:
        ReplicaRepository(session).beat(replica_id)


def retire(app: App, replica_id: str) -> None:
    """The replica stops cleanly: its row says so (`senderwatch status` shows it stopped)."""
    with app.database.transaction() as session:
        ReplicaRepository(session).stop(replica_id)


def claim_tick(
    app: App,
    job: str,
    fire_time: dt.datetime,
    replica_id: str,
    *,
    lease_s: float,
    batches: Sequence[Sequence[str]] = (),
) -> Tick | None:
    """Claim `job`'s tick at `fire_time` for this replica, queueing its `batches` in the
    same transaction (so a replica that lost the claim finds them at once); None: lost."""
    with app.database.transaction() as session:
        tick = TickRepository(session).claim(job, fire_time, replica_id, lease_s)
        if tick is not None and batches:
            BatchRepository(session).add_all(tick.id, batches)
        return tick


def find_tick(app: App, job: str, fire_time: dt.datetime) -> Tick | None:
    with app.database.transaction() as session:
        return TickRepository(session).find(job, fire_time)


def renew(
    app: App, replica_id: str, lease_s: float, *, tick_id: int, batch_id: int | None = None
) -> None:
    """Extend a held tick's lease (or, working on a batch, the batch's and its cycle's)."""
    with app.database.transaction() as session:
        ticks = TickRepository(session)
        if batch_id is None:
            ticks.renew(tick_id, replica_id, lease_s)
            return
        if BatchRepository(session).renew(batch_id, replica_id, lease_s):
            ticks.renew_cycle(tick_id, replica_id, lease_s)


def link_run(app: App, run_id: int, *, tick_id: int, batch_id: int | None = None) -> None:
    """Record which run a tick (or batch) produced: a takeover interrupts exactly that run."""
    with app.database.transaction() as session:
        if batch_id is None:
            TickRepository(session).set_run(tick_id, run_id)
        else:
            BatchRepository(session).set_run(batch_id, run_id)


def finish_tick(app: App, tick_id: int, *, error: str | None = None) -> bool:
    """`done` (or `failed` with the error); False when it was already finished."""
    with app.database.transaction() as session:
        return TickRepository(session).finish(tick_id, FAILED if error else DONE, error)


@dataclasses.dataclass(frozen=True, slots=True)
class Takeover:
    """A tick this replica took over from one that stopped renewing it."""

    tick: Tick
    previous_replica: str
    interrupted_run: int | None


def take_over(app: App, replica_id: str, *, lease_s: float) -> Takeover | None:
    """Take the oldest expired unfinished tick; its cut-off run is stored `interrupted` in
    the same transaction. None when every unfinished tick's holder is alive."""
    with app.database.transaction() as session:
        taken = TickRepository(session).take_over_expired(replica_id, lease_s)
        if taken is None:
            return None
        tick, previous = taken
        interrupted = None
        if tick.run_id is not None and RunLeases(session).interrupt(tick.run_id):
            interrupted = tick.run_id
        return Takeover(tick, previous, interrupted)


def open_cycles(app: App, job: str) -> list[int]:
    with app.database.transaction() as session:
        return BatchRepository(session).open_cycles(job)


def next_batch(app: App, tick_id: int, replica_id: str, *, lease_s: float) -> Batch | None:
    """Claim the cycle's next batch (a dead replica's batch included: its run is stored
    `interrupted` in the same transaction); None when none is left."""
    with app.database.transaction() as session:
        batch = BatchRepository(session).claim(tick_id, replica_id, lease_s)
        if batch is not None:
            TickRepository(session).renew_cycle(tick_id, replica_id, lease_s)
            if batch.cut_off_run is not None:
                RunLeases(session).interrupt(batch.cut_off_run)
        return batch


def run_batch(
    app: App, specs: Sequence[CheckSpec], *, resolver: Resolver | None = None
) -> CheckRunOutcome:
    """One batch's checks as one stored `daemon` run (baselines, drift, as `check` does)."""
    return run_checks(
        app.settings,
        trigger="daemon",
        specs=specs,
        database=app.database,
        clock=app.clock,
        resolver=resolver,
        keep_evidence=False,
    )


def finish_batch(app: App, batch: Batch, replica_id: str, status: str) -> Tick | None:
    """Mark our batch done; when it was the cycle's last, finish the cycle's tick in the
    same transaction and return it (None otherwise, or when another replica took our batch
    over meanwhile: its run counts, ours stays stored)."""
    with app.database.transaction() as session:
        if not BatchRepository(session).finish(batch.id, replica_id, status):
            return None
        return _settle(session, batch.tick_id)


def settle_cycle(app: App, tick_id: int) -> Tick | None:
    """Finish a cycle whose batches are all done but whose tick is not (its finisher died
    between the two); the tick when this call finished it."""
    with app.database.transaction() as session:
        return _settle(session, tick_id)


def _settle(session: Session, tick_id: int) -> Tick | None:
    batches = BatchRepository(session)
    if batches.left(tick_id):
        return None
    verdicts = batches.statuses(tick_id)
    errored = sum(v in (RunStatus.ERROR.value, INTERRUPTED) for v in verdicts)
    error = f"{errored} of {len(verdicts)} batches measured nothing" if errored else None
    ticks = TickRepository(session)
    if not ticks.finish(tick_id, FAILED if errored else DONE, error):
        return None
    return ticks.get(tick_id)


def specs_by_subject(app: App) -> dict[str, list[CheckSpec]]:
    """Every domain's planned checks, by domain: a replica plans a cycle once and takes
    each batch's specs from here (planning a batch by names would scan the domain list)."""
    from monitor.services.checks import plan

    index: dict[str, list[CheckSpec]] = {}
    for spec in plan(app):
        index.setdefault(spec.subject, []).append(spec)
    return index


def mark_dead_runs(app: App) -> list[int]:
    """Runs whose lease ran out unfinished (any replica's) stored `interrupted`; their ids."""
    with app.database.transaction() as session:
        return RunLeases(session).mark_interrupted()


def interrupt_runs(app: App, run_ids: Collection[int]) -> list[int]:
    """These runs (this replica's own, at shutdown) stored `interrupted` unless finished."""
    if not run_ids:
        return []
    with app.database.transaction() as session:
        leases = RunLeases(session)
        return [run_id for run_id in sorted(run_ids) if leases.interrupt(run_id)]


def answer_cut_off_requests(app: App) -> list[int]:
    """Post-release requests whose run was stored interrupted, answered (see post_release)."""
    from monitor.services.post_release import answer_cut_off

    return answer_cut_off(app)


def unfinished(app: App, run_ids: Collection[int]) -> list[int]:
    """Which of these runs have not finished yet."""
    if not run_ids:
        return []
    with app.database.transaction() as session:
        return RunLeases(session).unfinished_of(run_ids)


@dataclasses.dataclass(frozen=True, slots=True)
class ReplicaState:
    """One replica as `senderwatch status` shows it."""

    replica: Replica
    heartbeat_age_s: float
    alive: bool
    holding: tuple[str, ...]  # jobs with an unfinished tick held by it


@dataclasses.dataclass(frozen=True, slots=True)
class JobHolder:
    """The newest tick of one job: who claimed it, when, and whether it is done."""

    job: str
    replica: str
    fire_time: dt.datetime
    claimed_at: dt.datetime
    claimed_age_s: float
    finished: bool
    status: str | None
    attempts: int


@dataclasses.dataclass(frozen=True, slots=True)
class FleetStatus:
    now: dt.datetime
    replicas: tuple[ReplicaState, ...]
    jobs: tuple[JobHolder, ...]


def status(app: App, *, lease_s: float | None = None, window_s: float = 86_400) -> FleetStatus:
    """Replicas seen within `window_s`, alive when their heartbeat is within one lease, the
    jobs each holds; and each job's newest tick. Read from the database: every replica and
    `senderwatch status` on any machine see the same fleet."""
    lease = lease_s if lease_s is not None else app.settings.daemon.lease.total_seconds()
    with app.database.transaction() as session:
        now = database_now(session)
        replicas = ReplicaRepository(session).seen_since(now - dt.timedelta(seconds=window_s))
        ticks = TickRepository(session)
        open_ticks = ticks.open_held_by([r.id for r in replicas])
        latest = ticks.latest_per_job()
    states = []
    for replica in replicas:
        age = max(0.0, (now - replica.heartbeat_at).total_seconds())
        holding = tuple(sorted({t.job for t in open_ticks if t.replica == replica.id}))
        alive = replica.stopped_at is None and age <= lease
        states.append(ReplicaState(replica, age, alive, holding))
    jobs = tuple(
        JobHolder(
            job=t.job,
            replica=t.replica,
            fire_time=t.fire_time,
            claimed_at=t.claimed_at,
            claimed_age_s=max(0.0, (now - t.claimed_at).total_seconds()),
            finished=t.finished_at is not None,
            status=t.status,
            attempts=t.attempts,
        )
        for t in latest
    )
    return FleetStatus(now, tuple(states), jobs)
