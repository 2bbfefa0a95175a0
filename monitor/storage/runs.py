"""Run rows and their leases: telling a run that is still going from one whose process died.

A run row is written before any check runs and finished when the last result is in. A run
killed in between (`kill -9`, power cut, out of memory) would stay "no status, no finish"
forever, so each run holds a lease:

    start     heartbeat_at = now, lease_until = now + lease        (ResultRepository.start_run)
    running   the same, renewed every lease/4 and on each batch    (RunLeases.renew)
    finished  finished_at, status; lease_until cleared             (ResultRepository.finish_run)
    died      lease_until passes with no finished_at: the next command that opens the database
              sets status `interrupted` and finished_at = the last heartbeat
              (RunLeases.mark_interrupted, called by monitor.storage.open_database)

Marking is one conditional UPDATE, so a live run elsewhere (its lease renewed) is never
touched, and two processes marking at once mark each run once. "Now" is the database's
clock on a server (replicas' clocks may disagree; the server's is the one all compare
against) and the local clock on SQLite (same machine).

A run marked interrupted that later finishes after all (a process frozen longer than its
lease, then resumed) gets its real status: finishing always wins.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.storage.models import RunRow

__all__ = [
    "DEFAULT_LEASE_S",
    "INTERRUPTED",
    "RunLeases",
    "RunRecord",
    "database_now",
    "run_record",
]

INTERRUPTED = "interrupted"

# How long a run counts as alive after its last heartbeat (settings: [database] run_lease).
DEFAULT_LEASE_S = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as stored. `status` is None while it runs (or before it was marked)."""

    id: int
    trigger: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str | None
    release: str | None
    heartbeat_at: dt.datetime | None = None
    lease_until: dt.datetime | None = None


def run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        trigger=row.trigger,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        release=row.release,
        heartbeat_at=row.heartbeat_at,
        lease_until=row.lease_until,
    )


def database_now(session: Session) -> dt.datetime:
    """The time every lease is written and judged by (see the module docstring)."""
    if session.get_bind().dialect.name == "sqlite":
        return dt.datetime.now(dt.UTC)
    value = session.scalar(select(func.now()))
    if not isinstance(value, dt.datetime):
        raise TypeError(f"the database's now() gave {value!r}, not a timestamp")
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


class RunLeases:
    """Leases of runs, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def renew(self, run_id: int, lease_s: float) -> bool:
        """Extend an unfinished run's lease by `lease_s` from now; False if it has finished
        or was already marked interrupted (the caller goes on; finishing will set it right)."""
        now = database_now(self.session)
        done = self.session.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.finished_at.is_(None))
            .values(heartbeat_at=now, lease_until=now + dt.timedelta(seconds=lease_s))
        )
        return bool(getattr(done, "rowcount", 0))

    def mark_interrupted(self) -> list[int]:
        """Mark every run whose lease ran out unfinished as interrupted; their ids."""
        now = database_now(self.session)
        rows = self.session.execute(
            update(RunRow)
            .where(RunRow.finished_at.is_(None), RunRow.lease_until < now)
            .values(
                status=INTERRUPTED,
                finished_at=func.coalesce(RunRow.heartbeat_at, RunRow.started_at),
                lease_until=None,
            )
            .returning(RunRow.id)
        )
        return sorted(row[0] for row in rows)

    def interrupt(self, run_id: int) -> bool:
        """Mark this process's own run interrupted now (it is stopping on an exception)."""
        now = database_now(self.session)
        done = self.session.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.finished_at.is_(None))
            .values(status=INTERRUPTED, finished_at=now, heartbeat_at=now, lease_until=None)
        )
        return bool(getattr(done, "rowcount", 0))

    def unfinished(self, trigger: str, since: dt.datetime) -> list[int]:
        """Ids of runs with this trigger started at or after `since` and not finished yet."""
        rows = self.session.scalars(
            select(RunRow.id).where(
                RunRow.finished_at.is_(None),
                RunRow.trigger == trigger,
                RunRow.started_at >= since,
            )
        )
        return sorted(rows)

    def unfinished_of(self, run_ids: Collection[int]) -> list[int]:
        """Which of `run_ids` have not finished (nor been marked interrupted)."""
        rows = self.session.scalars(
            select(RunRow.id).where(RunRow.id.in_(list(run_ids)), RunRow.finished_at.is_(None))
        )
        return sorted(rows)

    def recent(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first, at most `limit`."""
        rows = self.session.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(limit))
        return [run_record(row) for row in rows]
