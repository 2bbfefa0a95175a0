"""The replica fleet's rows: who lives, who claimed which tick, which DNS batch is whose.

Claiming is always one statement whose outcome the database decides, never a read then a
write:

    claim a tick       INSERT job_ticks (job, fire_time) ON CONFLICT DO NOTHING: the unique
                       index lets exactly one replica insert; the others get no row back
    take a tick over   UPDATE ... WHERE id = (SELECT ... lease_until < now() FOR UPDATE
                       SKIP LOCKED LIMIT 1) RETURNING: one replica per expired tick
    claim a batch      the same SKIP LOCKED pattern over `cycle_batches`: queued batches, and
                       running ones whose lease ran out (their replica died)

"Now" is the database's clock (`monitor.storage.runs.database_now`): replicas' clocks may
disagree, the server's is the one every lease is written and judged by.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from monitor.storage.fleet_models import CycleBatchRow, JobTickRow, ReplicaRow
from monitor.storage.runs import database_now
from monitor.storage.upsert import dialect_insert

__all__ = [
    "DONE",
    "QUEUED",
    "RUNNING",
    "Batch",
    "BatchRepository",
    "Replica",
    "ReplicaRepository",
    "Tick",
    "TickRepository",
]

QUEUED = "queued"
RUNNING = "running"
DONE = "done"


@dataclasses.dataclass(frozen=True, slots=True)
class Replica:
    id: str
    hostname: str
    pid: int
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    stopped_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class Tick:
    """One claimed fire of one job. `finished_at` None: still held (or its holder died)."""

    id: int
    job: str
    fire_time: dt.datetime
    replica: str
    claimed_at: dt.datetime
    heartbeat_at: dt.datetime
    lease_until: dt.datetime | None
    finished_at: dt.datetime | None
    status: str | None
    attempts: int
    run_id: int | None
    error: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Batch:
    """Some domains of one DNS cycle (tick), claimed by one replica at a time."""

    id: int
    tick_id: int
    seq: int
    subjects: tuple[str, ...]
    state: str
    replica: str | None
    attempts: int
    run_id: int | None
    cut_off_run: int | None = None  # a dead replica's run of this batch, taken over


def _replica(row: ReplicaRow) -> Replica:
    return Replica(row.id, row.hostname, row.pid, row.started_at, row.heartbeat_at, row.stopped_at)


def _tick(row: JobTickRow) -> Tick:
    return Tick(
        id=row.id,
        job=row.job,
        fire_time=row.fire_time,
        replica=row.replica,
        claimed_at=row.claimed_at,
        heartbeat_at=row.heartbeat_at,
        lease_until=row.lease_until,
        finished_at=row.finished_at,
        status=row.status,
        attempts=row.attempts,
        run_id=row.run_id,
        error=row.error,
    )


def _batch(row: CycleBatchRow) -> Batch:
    return Batch(
        id=row.id,
        tick_id=row.tick_id,
        seq=row.seq,
        subjects=tuple(row.subjects),
        state=row.state,
        replica=row.replica,
        attempts=row.attempts,
        run_id=row.run_id,
    )


def _lease(now: dt.datetime, lease_s: float) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_s)


def _skip_locked(session: Session, query: Any) -> Any:
    """`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers anyway."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


class ReplicaRepository:
    """Replica rows, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def register(self, replica_id: str, *, hostname: str, pid: int) -> Replica:
        now = database_now(self.session)
        row = ReplicaRow(
            id=replica_id, hostname=hostname, pid=pid, started_at=now, heartbeat_at=now
        )
        self.session.add(row)
        self.session.flush()
        return _replica(row)

    def beat(self, replica_id: str) -> None:
        now = database_now(self.session)
        self.session.execute(
            update(ReplicaRow).where(ReplicaRow.id == replica_id).values(heartbeat_at=now)
        )

    def stop(self, replica_id: str) -> None:
        now = database_now(self.session)
        self.session.execute(
            update(ReplicaRow)
            .where(ReplicaRow.id == replica_id)
            .values(heartbeat_at=now, stopped_at=now)
        )

    def seen_since(self, since: dt.datetime) -> list[Replica]:
        """Replicas with a heartbeat at or after `since`, newest first."""
        rows = self.session.scalars(
            select(ReplicaRow)
            .where(ReplicaRow.heartbeat_at >= since)
            .order_by(ReplicaRow.heartbeat_at.desc())
        )
        return [_replica(row) for row in rows]


class TickRepository:
    """Job ticks, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, job: str, fire_time: dt.datetime, replica: str, lease_s: float) -> Tick | None:
        """Insert the (job, fire_time) row for `replica`; None if another replica has it.

        `INSERT ... ON CONFLICT DO NOTHING RETURNING`: a loser waits for the winner's commit
        and then gets no row, never an error that would abort its transaction.
        """
        now = database_now(self.session)
        values = {
            "job": job,
            "fire_time": fire_time,
            "replica": replica,
            "claimed_at": now,
            "heartbeat_at": now,
            "lease_until": _lease(now, lease_s),
            "attempts": 1,
        }
        stmt = (
            dialect_insert(self.session)(JobTickRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["job", "fire_time"])
            .returning(JobTickRow.id)
        )
        tick_id = self.session.scalar(stmt)
        return None if tick_id is None else self.get(tick_id)

    def get(self, tick_id: int) -> Tick | None:
        row = self.session.get(JobTickRow, tick_id, populate_existing=True)
        return None if row is None else _tick(row)

    def find(self, job: str, fire_time: dt.datetime) -> Tick | None:
        row = self.session.scalar(
            select(JobTickRow).where(JobTickRow.job == job, JobTickRow.fire_time == fire_time)
        )
        return None if row is None else _tick(row)

    def renew(self, tick_id: int, replica: str, lease_s: float) -> bool:
        """Extend an unfinished tick's lease; False when it is no longer ours or finished."""
        now = database_now(self.session)
        done = self.session.execute(
            update(JobTickRow)
            .where(
                JobTickRow.id == tick_id,
                JobTickRow.replica == replica,
                JobTickRow.finished_at.is_(None),
            )
            .values(heartbeat_at=now, lease_until=_lease(now, lease_s))
        )
        return bool(getattr(done, "rowcount", 0))

    def set_run(self, tick_id: int, run_id: int) -> None:
        self.session.execute(
            update(JobTickRow).where(JobTickRow.id == tick_id).values(run_id=run_id)
        )

    def finish(self, tick_id: int, status: str, error: str | None = None) -> bool:
        """Record the tick's end once (a second finisher touches nothing: False)."""
        now = database_now(self.session)
        done = self.session.execute(
            update(JobTickRow)
            .where(JobTickRow.id == tick_id, JobTickRow.finished_at.is_(None))
            .values(finished_at=now, status=status, error=error, lease_until=None)
        )
        return bool(getattr(done, "rowcount", 0))

    def renew_cycle(self, tick_id: int, replica: str, lease_s: float) -> bool:
        """A DNS cycle's tick is alive while any replica works on its batches: extend its
        lease and show the replica working on it now as its holder."""
        now = database_now(self.session)
        done = self.session.execute(
            update(JobTickRow)
            .where(JobTickRow.id == tick_id, JobTickRow.finished_at.is_(None))
            .values(replica=replica, heartbeat_at=now, lease_until=_lease(now, lease_s))
        )
        return bool(getattr(done, "rowcount", 0))

    def take_over_expired(self, replica: str, lease_s: float) -> tuple[Tick, str] | None:
        """The oldest unfinished tick whose lease ran out, now held by `replica` (attempts
        counted up), with the replica that held it; None when every holder is alive."""
        now = database_now(self.session)
        found = self.session.execute(
            _skip_locked(
                self.session,
                select(JobTickRow.id, JobTickRow.replica)
                .where(JobTickRow.finished_at.is_(None), JobTickRow.lease_until < now)
                .order_by(JobTickRow.id)
                .limit(1),
            )
        ).first()
        if found is None:
            return None
        candidate, previous = found
        self.session.execute(
            update(JobTickRow)
            .where(JobTickRow.id == candidate)
            .values(
                replica=replica,
                heartbeat_at=now,
                lease_until=_lease(now, lease_s),
                attempts=JobTickRow.attempts + 1,
            )
        )
        tick = self.get(candidate)
        assert tick is not None  # locked by us above
        return tick, str(previous)

    def latest_per_job(self) -> list[Tick]:
        """The newest tick of each job, by job name."""
        newest = select(func.max(JobTickRow.id)).group_by(JobTickRow.job)
        rows = self.session.scalars(
            select(JobTickRow).where(JobTickRow.id.in_(newest)).order_by(JobTickRow.job)
        )
        return [_tick(row) for row in rows]

    def open_held_by(self, replicas: Sequence[str]) -> list[Tick]:
        """Unfinished ticks held by these replicas, oldest first."""
        if not replicas:
            return []
        rows = self.session.scalars(
            select(JobTickRow)
            .where(JobTickRow.finished_at.is_(None), JobTickRow.replica.in_(list(replicas)))
            .order_by(JobTickRow.id)
        )
        return [_tick(row) for row in rows]


class BatchRepository:
    """DNS cycle batches, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, tick_id: int, batches: Sequence[Sequence[str]]) -> int:
        """Queue a cycle's batches (subjects in plan order); how many."""
        for seq, subjects in enumerate(batches):
            self.session.add(
                CycleBatchRow(
                    tick_id=tick_id, seq=seq, subjects=list(subjects), state=QUEUED, attempts=0
                )
            )
        self.session.flush()
        return len(batches)

    def claim(self, tick_id: int, replica: str, lease_s: float) -> Batch | None:
        """The next batch of this cycle that is queued, or running under an expired lease
        (its replica died), now running for `replica`; None when none is left to take."""
        now = database_now(self.session)
        claimable = or_(
            CycleBatchRow.state == QUEUED,
            and_(CycleBatchRow.state == RUNNING, CycleBatchRow.lease_until < now),
        )
        found = self.session.execute(
            _skip_locked(
                self.session,
                select(CycleBatchRow.id, CycleBatchRow.state, CycleBatchRow.run_id)
                .where(CycleBatchRow.tick_id == tick_id, claimable)
                .order_by(CycleBatchRow.seq)
                .limit(1),
            )
        ).first()
        if found is None:
            return None
        candidate, state, previous_run = found
        self.session.execute(
            update(CycleBatchRow)
            .where(CycleBatchRow.id == candidate)
            .values(
                state=RUNNING,
                replica=replica,
                claimed_at=now,
                lease_until=_lease(now, lease_s),
                attempts=CycleBatchRow.attempts + 1,
                run_id=None,
            )
        )
        row = self.session.get_one(CycleBatchRow, candidate, populate_existing=True)
        cut_off = previous_run if state == RUNNING else None
        return dataclasses.replace(_batch(row), cut_off_run=cut_off)

    def renew(self, batch_id: int, replica: str, lease_s: float) -> bool:
        now = database_now(self.session)
        done = self.session.execute(
            update(CycleBatchRow)
            .where(
                CycleBatchRow.id == batch_id,
                CycleBatchRow.replica == replica,
                CycleBatchRow.state == RUNNING,
            )
            .values(lease_until=_lease(now, lease_s))
        )
        return bool(getattr(done, "rowcount", 0))

    def set_run(self, batch_id: int, run_id: int) -> None:
        self.session.execute(
            update(CycleBatchRow).where(CycleBatchRow.id == batch_id).values(run_id=run_id)
        )

    def finish(self, batch_id: int, replica: str, status: str) -> bool:
        """Mark our batch done with its run's verdict; False if another replica took it
        over meanwhile (we were presumed dead; its run counts, ours stays stored)."""
        now = database_now(self.session)
        done = self.session.execute(
            update(CycleBatchRow)
            .where(
                CycleBatchRow.id == batch_id,
                CycleBatchRow.replica == replica,
                CycleBatchRow.state == RUNNING,
            )
            .values(state=DONE, finished_at=now, status=status, lease_until=None)
        )
        return bool(getattr(done, "rowcount", 0))

    def left(self, tick_id: int) -> int:
        """Batches of this cycle not done yet."""
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(CycleBatchRow)
                .where(CycleBatchRow.tick_id == tick_id, CycleBatchRow.state != DONE)
            )
            or 0
        )

    def statuses(self, tick_id: int) -> list[str]:
        """The verdicts of the cycle's finished batches."""
        return [
            str(s)
            for s in self.session.scalars(
                select(CycleBatchRow.status).where(
                    CycleBatchRow.tick_id == tick_id, CycleBatchRow.status.is_not(None)
                )
            )
        ]

    def open_cycles(self, job: str) -> list[int]:
        """Unfinished ticks of `job` that still have batches to claim (queued, or running
        under an expired lease), oldest first."""
        now = database_now(self.session)
        claimable = or_(
            CycleBatchRow.state == QUEUED,
            and_(CycleBatchRow.state == RUNNING, CycleBatchRow.lease_until < now),
        )
        rows = self.session.scalars(
            select(JobTickRow.id)
            .where(
                JobTickRow.job == job,
                JobTickRow.finished_at.is_(None),
                JobTickRow.id.in_(select(CycleBatchRow.tick_id).where(claimable)),
            )
            .order_by(JobTickRow.id)
        )
        return list(rows)

    def of_tick(self, tick_id: int) -> list[Batch]:
        rows = self.session.scalars(
            select(CycleBatchRow)
            .where(CycleBatchRow.tick_id == tick_id)
            .order_by(CycleBatchRow.seq)
        )
        return [_batch(row) for row in rows]
