"""SQLAlchemy models of the replica fleet: replicas, claimed job ticks, DNS cycle batches.

Several `senderwatch run` processes on one PostgreSQL divide the work through these rows
(monitor.storage.fleet); portable types only, as in `models.py`; migration `0008_replicas`
creates them.

    replicas       one row per process that ever ran: its heartbeat says whether it lives
    job_ticks      one row per (job, fire time): inserting it is claiming the tick; the
                   unique index makes exactly one replica win. The winner holds a lease
                   renewed by heartbeat; an unfinished tick whose lease ran out is taken over
    cycle_batches  a DNS cycle cut into batches of domains, claimed with SKIP LOCKED
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.storage.models import Base

__all__ = ["CycleBatchRow", "JobTickRow", "ReplicaRow"]

REPLICA_ID_LENGTH = 120


class ReplicaRow(Base):
    """One `senderwatch run` process on a shared database."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(REPLICA_ID_LENGTH), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(253))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
    stopped_at: Mapped[dt.datetime | None]


class JobTickRow(Base):
    """One scheduled fire of one job, claimed by the replica that inserted it."""

    __tablename__ = "job_ticks"
    __table_args__ = (
        Index("uq_job_ticks_job_fire_time", "job", "fire_time", unique=True),
        Index("ix_job_ticks_finished_lease", "finished_at", "lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    fire_time: Mapped[dt.datetime]
    replica: Mapped[str] = mapped_column(String(REPLICA_ID_LENGTH))
    claimed_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str | None] = mapped_column(String(16))  # done | failed
    attempts: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    error: Mapped[str | None] = mapped_column(Text)


class CycleBatchRow(Base):
    """Some of a DNS cycle's domains, checked as one run by whichever replica claims them."""

    __tablename__ = "cycle_batches"
    __table_args__ = (
        Index("uq_cycle_batches_tick_seq", "tick_id", "seq", unique=True),
        Index("ix_cycle_batches_tick_state", "tick_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tick_id: Mapped[int] = mapped_column(ForeignKey("job_ticks.id"))
    seq: Mapped[int] = mapped_column(Integer)
    subjects: Mapped[list[Any]]
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done
    replica: Mapped[str | None] = mapped_column(String(REPLICA_ID_LENGTH))
    claimed_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[str | None] = mapped_column(String(16))  # the batch run's verdict
