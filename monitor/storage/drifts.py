"""Drift rows: each observation that moved away from the baseline, with before and after.

A drift row links the result that showed it and the baseline it was measured against. Drift
is "open" while both still hold: its result is the key's newest measured (non-error) result
and its baseline is the key's current baseline. Approving a new baseline closes it; a later
ERROR result does not (we could not see whether it went away).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.result import Severity
from monitor.policy.drift import Direction, Drift
from monitor.storage.baselines import current_baseline_ids
from monitor.storage.models import DriftRow
from monitor.storage.results import KeyFilter, latest_measured_ids

__all__ = ["DriftRepository", "StoredDrift"]


@dataclasses.dataclass(frozen=True, slots=True)
class StoredDrift:
    id: int
    result_id: int
    baseline_id: int
    detected_at: dt.datetime
    drift: Drift


class DriftRepository:
    """Drift rows, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        result_id: int,
        baseline_id: int,
        drifts: Iterable[Drift],
        detected_at: dt.datetime,
    ) -> list[StoredDrift]:
        return self.add_all([(result_id, baseline_id, drifts)], detected_at=detected_at)

    def add_all(
        self, items: Iterable[tuple[int, int, Iterable[Drift]]], *, detected_at: dt.datetime
    ) -> list[StoredDrift]:
        """Store the drift of several results: (result_id, baseline_id, drifts) each."""
        rows = [
            DriftRow(
                result_id=result_id,
                baseline_id=baseline_id,
                check=d.check,
                subject=d.subject,
                environment=d.environment,
                key=d.key,
                # Wrapped, so JSON keeps the scalar's type (2048 vs "2048", null vs absent).
                before={"value": d.before},
                after={"value": d.after},
                direction=d.direction.value,
                severity=d.severity.value,
                detected_at=detected_at,
            )
            for result_id, baseline_id, drifts in items
            for d in drifts
        ]
        self.session.add_all(rows)
        self.session.flush()
        return [_stored(row) for row in rows]

    def of_result(self, result_id: int) -> list[StoredDrift]:
        rows = self.session.scalars(
            select(DriftRow).where(DriftRow.result_id == result_id).order_by(DriftRow.id)
        )
        return [_stored(row) for row in rows]

    def open(self, where: KeyFilter | None = None) -> list[StoredDrift]:
        """Drift not yet accepted: shown by the newest measured result, against the current
        baseline (see the module docstring)."""
        rows = self.session.scalars(
            select(DriftRow)
            .where(
                DriftRow.result_id.in_(latest_measured_ids(where)),
                DriftRow.baseline_id.in_(current_baseline_ids(where)),
            )
            .order_by(DriftRow.subject, DriftRow.environment, DriftRow.check, DriftRow.key)
        )
        return [_stored(row) for row in rows]


def _stored(row: DriftRow) -> StoredDrift:
    drift = Drift(
        check=row.check,
        subject=row.subject,
        environment=row.environment,
        key=row.key,
        before=row.before.get("value"),
        after=row.after.get("value"),
        direction=Direction(row.direction),
        severity=Severity(row.severity),
    )
    return StoredDrift(
        id=row.id,
        result_id=row.result_id,
        baseline_id=row.baseline_id,
        detected_at=row.detected_at,
        drift=drift,
    )
