"""Runs and their results: the record of everything senderwatch measured.

Every `CheckResult` is stored whole (findings, observations, evidence, versions as JSON), so
the debug view, reports and a later re-evaluation read exactly what was measured. Callers
get plain objects (`StoredResult`, `RunRecord`), never rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from checks.result import CheckResult, Finding, Status
from monitor.storage.models import ResultRow, RunRow
from monitor.storage.rollups import add_days
from monitor.storage.runs import DEFAULT_LEASE_S, RunRecord, database_now, run_record

__all__ = [
    "KeyFilter",
    "ResultRepository",
    "RunRecord",
    "StoredResult",
    "latest_measured_ids",
    "result_from_row",
]


@dataclasses.dataclass(frozen=True, slots=True)
class StoredResult:
    """A result and the id it was stored under (drift rows and alerts link to it)."""

    id: int
    run_id: int | None
    result: CheckResult


@dataclasses.dataclass(frozen=True, slots=True)
class KeyFilter:
    """Narrows (check, subject, environment) keys; None means "any"."""

    subject: str | None = None
    environment: str | None = None
    check: str | None = None

    def apply(self, stmt: Select[Any], model: Any) -> Select[Any]:
        """Add this filter's conditions on `model`'s check/subject/environment columns."""
        if self.subject is not None:
            stmt = stmt.where(model.subject == self.subject)
        if self.environment is not None:
            stmt = stmt.where(model.environment == self.environment)
        if self.check is not None:
            stmt = stmt.where(model.check == self.check)
        return stmt


def latest_measured_ids(where: KeyFilter | None = None, *, measured: bool = True) -> Select[Any]:
    """Subquery: the id of the newest non-error result of each (check, subject, environment)
    (with `measured=False`, the newest result, errors included).

    "Newest" is the highest id: results are inserted in the order they are recorded.
    """
    stmt = select(func.max(ResultRow.id))
    if measured:
        stmt = stmt.where(ResultRow.status != Status.ERROR.value)
    stmt = (where or KeyFilter()).apply(stmt, ResultRow)
    return stmt.group_by(ResultRow.check, ResultRow.subject, ResultRow.environment)


class ResultRepository:
    """Runs and results, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start_run(
        self,
        *,
        trigger: str,
        started_at: dt.datetime,
        release: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> RunRecord:
        """A new unfinished run holding a lease of `lease_s` (see monitor.storage.runs)."""
        now = database_now(self.session)
        row = RunRow(
            trigger=trigger,
            started_at=started_at,
            release=release,
            heartbeat_at=now,
            lease_until=now + dt.timedelta(seconds=lease_s),
        )
        self.session.add(row)
        self.session.flush()
        return run_record(row)

    def finish_run(self, run_id: int, *, finished_at: dt.datetime, status: str) -> RunRecord:
        """Record the run's verdict; this wins over an earlier `interrupted` mark."""
        row = self.session.get_one(RunRow, run_id)
        row.finished_at = finished_at
        row.status = status
        row.lease_until = None
        self.session.flush()
        return run_record(row)

    def get_run(self, run_id: int) -> RunRecord | None:
        row = self.session.get(RunRow, run_id)
        return None if row is None else run_record(row)

    def add(self, run_id: int | None, result: CheckResult) -> StoredResult:
        return self.add_all(run_id, [result])[0]

    def add_all(self, run_id: int | None, results: Sequence[CheckResult]) -> list[StoredResult]:
        """Store results in few round trips (a run of hundreds of domains stores thousands).

        A Core INSERT ... RETURNING in chunks, not ORM objects: the session would otherwise
        hold every row and its JSON until commit, which doubled a 2,000-domain run's memory.
        Callers get the results they passed in, paired with their ids. The days' rollups
        (monitor.storage.rollups) are counted in the same transaction.
        """
        stored: list[StoredResult] = []
        for start in range(0, len(results), _CHUNK):
            chunk = results[start : start + _CHUNK]
            ids = self.session.scalars(
                insert(ResultRow).returning(ResultRow.id, sort_by_parameter_order=True),
                [_row_values(run_id, result) for result in chunk],
            ).all()
            stored += [
                StoredResult(id=row_id, run_id=run_id, result=result)
                for row_id, result in zip(ids, chunk, strict=True)
            ]
        add_days(self.session, results)
        return stored

    def get(self, result_id: int) -> StoredResult | None:
        row = self.session.get(ResultRow, result_id)
        return None if row is None else _stored(row)

    def of_run(self, run_id: int) -> list[StoredResult]:
        rows = self.session.scalars(
            select(ResultRow).where(ResultRow.run_id == run_id).order_by(ResultRow.id)
        )
        return [_stored(row) for row in rows]

    def latest_measured(
        self, check: str, subject: str, environment: str | None
    ) -> StoredResult | None:
        """The newest result of this key that is not ERROR (what a baseline may be made of)."""
        row = self.session.scalars(
            select(ResultRow)
            .where(
                ResultRow.check == check,
                ResultRow.subject == subject,
                ResultRow.environment == environment,
                ResultRow.status != Status.ERROR.value,
            )
            .order_by(ResultRow.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _stored(row)

    def subjects(self) -> set[str]:
        """Every subject (domain or environment) that has a stored result."""
        return set(self.session.scalars(select(ResultRow.subject).distinct()))

    def latest_all(self) -> list[StoredResult]:
        """The newest result of every key, errors included (what the overview page shows:
        a check that cannot measure is news too), sorted by key."""
        rows = self.session.scalars(
            select(ResultRow)
            .where(ResultRow.id.in_(latest_measured_ids(measured=False)))
            .order_by(ResultRow.subject, ResultRow.environment, ResultRow.check)
        )
        return [_stored(row) for row in rows]

    def latest_measured_all(self, where: KeyFilter | None = None) -> list[StoredResult]:
        """The newest non-error result of every key matching `where`, sorted by key."""
        rows = self.session.scalars(
            select(ResultRow)
            .where(ResultRow.id.in_(latest_measured_ids(where)))
            .order_by(ResultRow.subject, ResultRow.environment, ResultRow.check)
        )
        return [_stored(row) for row in rows]


_CHUNK = 500


def content_hash(values: dict[str, Any]) -> str:
    """A stable digest of what a result said, so repeats are found by comparing one column.

    Times and ids are left out; status, observations, findings, evidence and versions are in.
    """
    parts = [values[k] for k in ("status", "observations", "findings", "evidence", "versions")]
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _row_values(run_id: int | None, result: CheckResult) -> dict[str, Any]:
    values = {
        "run_id": run_id,
        "check": result.check,
        "kind": result.kind,
        "subject": result.subject,
        "environment": result.environment,
        "started_at": result.started_at,
        "duration_s": result.duration_s,
        "status": result.status.value,
        # The engine serialises JSON with default=str (monitor.storage.engine), once.
        "observations": dict(result.observations),
        "findings": [f.to_dict() for f in result.findings],
        "evidence": dict(result.evidence),
        "versions": dict(result.versions),
    }
    values["content_hash"] = content_hash(values)
    return values


def result_from_row(row: ResultRow) -> CheckResult:
    """The `CheckResult` a stored row holds (the one place a row becomes a result)."""
    return CheckResult(
        check=row.check,
        kind=row.kind,
        subject=row.subject,
        environment=row.environment,
        started_at=row.started_at,
        duration_s=row.duration_s,
        status=Status(row.status),
        observations=dict(row.observations),
        findings=tuple(Finding.from_dict(f) for f in row.findings),
        evidence=dict(row.evidence),
        versions=dict(row.versions),
    )


def _stored(row: ResultRow) -> StoredResult:
    return StoredResult(id=row.id, run_id=row.run_id, result=result_from_row(row))
