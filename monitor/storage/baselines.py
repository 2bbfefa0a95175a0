"""Baselines: the approved observations of each (check, subject, environment), with history.

One row per approval; the current baseline of a key is its newest row. Nothing is updated
in place, so "who accepted p=none, when and why" stays answerable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from checks.result import Scalar
from monitor.storage.models import BaselineRow, ResultRow
from monitor.storage.results import KeyFilter

__all__ = ["Baseline", "BaselineDraft", "BaselineKey", "BaselineRepository", "current_baseline_ids"]

BaselineKey = tuple[str, str, str | None]  # (check, subject, environment)
_CHUNK = 500  # subjects per IN (...) list: well inside every backend's parameter limit


@dataclasses.dataclass(frozen=True, slots=True)
class Baseline:
    id: int
    check: str
    subject: str
    environment: str | None
    result_id: int | None
    observations: Mapping[str, Scalar]
    approved_at: dt.datetime
    approved_by: str
    reason: str
    automatic: bool


@dataclasses.dataclass(frozen=True, slots=True)
class BaselineDraft:
    """A baseline about to be recorded (no id yet)."""

    check: str
    subject: str
    environment: str | None
    result_id: int | None
    observations: Mapping[str, Scalar]
    approved_at: dt.datetime
    approved_by: str
    reason: str
    automatic: bool = False


def _fields(draft: BaselineDraft) -> dict[str, Any]:
    """A draft's fields as keyword arguments (shallow, unlike `dataclasses.asdict`)."""
    return {f.name: getattr(draft, f.name) for f in dataclasses.fields(draft)}


def current_baseline_ids(where: KeyFilter | None = None) -> Select[Any]:
    """Subquery: the id of the current (newest) baseline of each key."""
    stmt = (where or KeyFilter()).apply(select(func.max(BaselineRow.id)), BaselineRow)
    return stmt.group_by(BaselineRow.check, BaselineRow.subject, BaselineRow.environment)


class BaselineRepository:
    """Baselines, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, draft: BaselineDraft) -> Baseline:
        """Record a new approval; it becomes the key's current baseline."""
        return self.add_all([draft])[0]

    def add_all(self, drafts: Sequence[BaselineDraft]) -> list[Baseline]:
        """Record several approvals in few round trips (Core INSERT ... RETURNING: a first
        run of thousands of domains makes thousands of baselines, and ORM rows would sit in
        the session until commit)."""
        created: list[Baseline] = []
        for start in range(0, len(drafts), _CHUNK):
            chunk = drafts[start : start + _CHUNK]
            ids = self.session.scalars(
                insert(BaselineRow).returning(BaselineRow.id, sort_by_parameter_order=True),
                [{**_fields(d), "observations": dict(d.observations)} for d in chunk],
            ).all()
            created += [
                Baseline(id=row_id, **_fields(d)) for row_id, d in zip(ids, chunk, strict=True)
            ]
        return created

    def current(self, check: str, subject: str, environment: str | None) -> Baseline | None:
        row = self.session.scalars(
            select(BaselineRow)
            .where(
                BaselineRow.check == check,
                BaselineRow.subject == subject,
                BaselineRow.environment == environment,
            )
            .order_by(BaselineRow.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _baseline(row)

    def current_for(self, keys: Collection[BaselineKey]) -> dict[BaselineKey, Baseline]:
        """The current baseline of each of `keys` that has one (one query per 500 subjects)."""
        wanted = set(keys)
        subjects = sorted({subject for _check, subject, _env in wanted})
        found: dict[BaselineKey, Baseline] = {}
        for start in range(0, len(subjects), _CHUNK):
            chunk = subjects[start : start + _CHUNK]
            ids = (
                select(func.max(BaselineRow.id))
                .where(BaselineRow.subject.in_(chunk))
                .group_by(BaselineRow.check, BaselineRow.subject, BaselineRow.environment)
            )
            for row in self.session.scalars(select(BaselineRow).where(BaselineRow.id.in_(ids))):
                key = (row.check, row.subject, row.environment)
                if key in wanted:
                    found[key] = _baseline(row)
        return found

    def finding_codes_for(self, keys: Collection[BaselineKey]) -> dict[BaselineKey, frozenset[str]]:
        """The finding codes of the result each key's current baseline was taken from.

        What the alert mapping treats as accepted posture: a warning already present when the
        baseline was taken (or last approved) is not news. One query per 500 subjects, reading
        only the findings column; a key without a baseline, or whose baseline records no
        result, is absent from the answer.
        """
        wanted = set(keys)
        subjects = sorted({subject for _check, subject, _env in wanted})
        found: dict[BaselineKey, frozenset[str]] = {}
        for start in range(0, len(subjects), _CHUNK):
            chunk = subjects[start : start + _CHUNK]
            ids = (
                select(func.max(BaselineRow.id))
                .where(BaselineRow.subject.in_(chunk))
                .group_by(BaselineRow.check, BaselineRow.subject, BaselineRow.environment)
            )
            rows = self.session.execute(
                select(
                    BaselineRow.check,
                    BaselineRow.subject,
                    BaselineRow.environment,
                    ResultRow.findings,
                )
                .join(ResultRow, ResultRow.id == BaselineRow.result_id)
                .where(BaselineRow.id.in_(ids))
            )
            for check, subject, environment, findings in rows:
                key = (check, subject, environment)
                if key in wanted:
                    found[key] = frozenset(str(f["code"]) for f in findings or ())
        return found

    def current_all(self, where: KeyFilter | None = None) -> list[Baseline]:
        """The current baseline of every key matching `where`, sorted by key."""
        rows = self.session.scalars(
            select(BaselineRow)
            .where(BaselineRow.id.in_(current_baseline_ids(where)))
            .order_by(BaselineRow.subject, BaselineRow.environment, BaselineRow.check)
        )
        return [_baseline(row) for row in rows]

    def history(self, check: str, subject: str, environment: str | None) -> list[Baseline]:
        """Every approval of one key, oldest first."""
        rows = self.session.scalars(
            select(BaselineRow)
            .where(
                BaselineRow.check == check,
                BaselineRow.subject == subject,
                BaselineRow.environment == environment,
            )
            .order_by(BaselineRow.id)
        )
        return [_baseline(row) for row in rows]


def _baseline(row: BaselineRow) -> Baseline:
    return Baseline(
        id=row.id,
        check=row.check,
        subject=row.subject,
        environment=row.environment,
        result_id=row.result_id,
        observations=dict(row.observations),
        approved_at=row.approved_at,
        approved_by=row.approved_by,
        reason=row.reason,
        automatic=row.automatic,
    )
