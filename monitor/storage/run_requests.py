"""Post-release run requests: the queue between the HTTP API and the daemon's runner.

A deploy pipeline's `POST /api/v1/runs` becomes one row here (`queued`); the runner claims
the oldest with one conditional UPDATE (`queued` → `running`, touching exactly one row, so
several replicas on one PostgreSQL never take the same request), runs it, and records the
run it produced (`done`, with its verdict and exit code). The request row outlives the HTTP
call, so a pipeline that lost its connection asks again by id, and an `Idempotency-Key`
(unique) returns the request already made instead of queueing a second run.

Portable types only, as in `models.py`; migration `0005_run_requests` creates the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from monitor.storage.models import Base

__all__ = [
    "DONE",
    "QUEUED",
    "RUNNING",
    "RunRequest",
    "RunRequestRepository",
    "RunRequestRow",
]

QUEUED = "queued"
RUNNING = "running"
DONE = "done"


class RunRequestRow(Base):
    """One post-release run asked for over the API."""

    __tablename__ = "run_requests"
    __table_args__ = (
        Index("ix_run_requests_idempotency_key", "idempotency_key", unique=True),
        Index("ix_run_requests_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment: Mapped[str] = mapped_column(String(64))
    release: Mapped[str] = mapped_column(String(200))
    checks: Mapped[list[Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done
    requested_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[str | None] = mapped_column(String(16))  # the run's verdict
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)  # why it could not run at all


@dataclasses.dataclass(frozen=True, slots=True)
class RunRequest:
    """One request as stored."""

    id: int
    environment: str
    release: str
    checks: tuple[str, ...]
    idempotency_key: str | None
    state: str
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    run_id: int | None
    status: str | None
    exit_code: int | None
    error: str | None


def _record(row: RunRequestRow) -> RunRequest:
    return RunRequest(
        id=row.id,
        environment=row.environment,
        release=row.release,
        checks=tuple(row.checks),
        idempotency_key=row.idempotency_key,
        state=row.state,
        requested_at=row.requested_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        run_id=row.run_id,
        status=row.status,
        exit_code=row.exit_code,
        error=row.error,
    )


class RunRequestRepository:
    """Run requests inside the caller's transaction (see `monitor.storage`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        environment: str,
        release: str,
        checks: tuple[str, ...],
        idempotency_key: str | None,
        requested_at: dt.datetime,
    ) -> RunRequest:
        """Queue a request. A repeated `idempotency_key` raises IntegrityError at flush."""
        row = RunRequestRow(
            environment=environment,
            release=release,
            checks=list(checks),
            idempotency_key=idempotency_key,
            state=QUEUED,
            requested_at=requested_at,
        )
        self.session.add(row)
        self.session.flush()
        return _record(row)

    def get(self, request_id: int) -> RunRequest | None:
        row = self.session.get(RunRequestRow, request_id)
        return None if row is None else _record(row)

    def by_key(self, idempotency_key: str) -> RunRequest | None:
        row = self.session.scalar(
            select(RunRequestRow).where(RunRequestRow.idempotency_key == idempotency_key)
        )
        return None if row is None else _record(row)

    def count_queued(self) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(RunRequestRow).where(RunRequestRow.state == QUEUED)
            )
            or 0
        )

    def oldest_queued_id(self) -> int | None:
        return self.session.scalar(
            select(RunRequestRow.id)
            .where(RunRequestRow.state == QUEUED)
            .order_by(RunRequestRow.id)
            .limit(1)
        )

    def claim(self, request_id: int, *, started_at: dt.datetime) -> bool:
        """`queued` → `running` for this request; False if another runner took it first.

        One conditional UPDATE: exactly one row is touched by exactly one claimer.
        """
        done = self.session.execute(
            update(RunRequestRow)
            .where(RunRequestRow.id == request_id, RunRequestRow.state == QUEUED)
            .values(state=RUNNING, started_at=started_at)
        )
        return getattr(done, "rowcount", 0) == 1

    def interrupt_running(
        self, *, since: dt.datetime | None, finished_at: dt.datetime, exit_code: int, error: str
    ) -> list[int]:
        """`running` requests (claimed at or after `since`; any with None) → `done` with
        status `interrupted`: their runner stopped before they finished. Their ids."""
        where = [RunRequestRow.state == RUNNING]
        if since is not None:
            where.append(RunRequestRow.started_at >= since)
        ids = list(self.session.scalars(select(RunRequestRow.id).where(*where)))
        self._interrupt(ids, finished_at=finished_at, exit_code=exit_code, error=error)
        return ids

    def _interrupt(
        self, ids: list[int], *, finished_at: dt.datetime, exit_code: int, error: str
    ) -> None:
        """Requests `ids` still `running` → `done`, status `interrupted`."""
        if not ids:
            return
        self.session.execute(
            update(RunRequestRow)
            .where(RunRequestRow.id.in_(ids), RunRequestRow.state == RUNNING)
            .values(
                state=DONE,
                status="interrupted",
                exit_code=exit_code,
                error=error,
                finished_at=finished_at,
            )
        )

    def set_run(self, request_id: int, run_id: int) -> None:
        """Link a running request to the run it started (before that run finishes)."""
        self.session.execute(
            update(RunRequestRow).where(RunRequestRow.id == request_id).values(run_id=run_id)
        )

    def answer_cut_off(self, *, finished_at: dt.datetime, exit_code: int, error: str) -> list[int]:
        """`running` requests whose run was stored `interrupted` (their replica died or
        stopped) → `done`, status `interrupted`; their ids."""
        from monitor.storage.models import RunRow

        cut_off = select(RunRow.id).where(RunRow.status == "interrupted")
        ids = list(
            self.session.scalars(
                select(RunRequestRow.id).where(
                    RunRequestRow.state == RUNNING, RunRequestRow.run_id.in_(cut_off)
                )
            )
        )
        self._interrupt(ids, finished_at=finished_at, exit_code=exit_code, error=error)
        return ids

    def finish(
        self,
        request_id: int,
        *,
        finished_at: dt.datetime,
        run_id: int | None,
        status: str,
        exit_code: int,
        error: str | None = None,
    ) -> None:
        """Record what the request's run found (or why it could not run)."""
        row = self.session.get_one(RunRequestRow, request_id)
        row.state = DONE
        row.finished_at = finished_at
        row.run_id = run_id
        row.status = status
        row.exit_code = exit_code
        row.error = error
        self.session.flush()
