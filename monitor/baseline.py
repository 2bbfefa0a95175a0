"""Baseline decisions: when a result becomes the baseline, and what drift it shows.

The decisions are pure (`evaluate`, `approval`); `record_evaluation` and `approve_latest`
apply them through the repositories inside the caller's transaction.

The rules:
1. An ERROR result ("could not measure") never becomes a baseline and never shows drift.
2. The first measured result of a (check, subject, environment) becomes its baseline
   automatically, recorded as approved by "senderwatch (first result)". Even a failing
   one: the baseline records what is, findings say whether that is good.
3. After that, only a person changes the baseline (`senderwatch baseline approve`), with a
   reason; every approval is a new row, so history is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from checks.result import CheckResult, Scalar, Status
from monitor.drift import Drift, detect_drift
from monitor.storage import (
    Baseline,
    BaselineRepository,
    DriftRepository,
    KeyFilter,
    ResultRepository,
    StoredDrift,
    StoredResult,
)

__all__ = [
    "FIRST_RESULT_APPROVER",
    "Approval",
    "Evaluation",
    "NewBaseline",
    "approval",
    "approve_latest",
    "evaluate",
    "record_evaluation",
]

FIRST_RESULT_APPROVER = "senderwatch (first result)"
FIRST_RESULT_REASON = "first measured result of this check becomes its baseline"


@dataclasses.dataclass(frozen=True, slots=True)
class NewBaseline:
    observations: Mapping[str, Scalar]
    approved_by: str
    reason: str
    automatic: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Evaluation:
    """What one result means for its baseline: a first baseline, or drift (maybe none)."""

    new_baseline: NewBaseline | None = None
    drifts: tuple[Drift, ...] = ()


def evaluate(result: CheckResult, baseline: Mapping[str, Scalar] | None) -> Evaluation:
    """Decide rules 1 and 2 for `result` given the current baseline's observations."""
    if result.status is Status.ERROR:
        return Evaluation()
    if baseline is None:
        return Evaluation(
            new_baseline=NewBaseline(
                observations=dict(result.observations),
                approved_by=FIRST_RESULT_APPROVER,
                reason=FIRST_RESULT_REASON,
                automatic=True,
            )
        )
    return Evaluation(drifts=tuple(detect_drift(baseline, result)))


def approval(result: CheckResult, *, by: str, reason: str) -> NewBaseline:
    """A person accepts `result` as the new baseline (rule 3).

    Raises:
        ValueError: the result is an ERROR result, or the reason or approver is empty.
    """
    if result.status is Status.ERROR:
        raise ValueError("an ERROR result measured nothing and cannot become a baseline")
    _require_who_and_why(by, reason)
    return NewBaseline(
        observations=dict(result.observations),
        approved_by=by.strip(),
        reason=reason.strip(),
        automatic=False,
    )


def record_evaluation(
    session: Session, stored: StoredResult, *, now: dt.datetime
) -> tuple[Baseline | None, list[StoredDrift]]:
    """Evaluate a stored result against its current baseline and store the outcome.

    Returns:
        The baseline created from it (first result), and the drift rows stored for it.
    """
    result = stored.result
    baselines = BaselineRepository(session)
    current = baselines.current(result.check, result.subject, result.environment)
    decision = evaluate(result, None if current is None else current.observations)
    if decision.new_baseline is not None:
        return _store_baseline(baselines, stored, decision.new_baseline, now), []
    if current is None or not decision.drifts:
        return None, []
    drifts = DriftRepository(session).add(
        result_id=stored.id, baseline_id=current.id, drifts=decision.drifts, detected_at=now
    )
    return None, drifts


def _require_who_and_why(by: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError("a reason is required to approve a baseline")
    if not by.strip():
        raise ValueError("the approver's name is required")


@dataclasses.dataclass(frozen=True, slots=True)
class Approval:
    """One approved key: the new baseline, the one it replaced and the drift it accepted."""

    baseline: Baseline
    previous: Baseline | None
    accepted: tuple[StoredDrift, ...]


def approve_latest(
    session: Session, where: KeyFilter, *, by: str, reason: str, now: dt.datetime
) -> list[Approval]:
    """Make the newest measured result of every key matching `where` its baseline.

    Raises:
        ValueError: the reason or approver is empty.
    """
    _require_who_and_why(by, reason)
    baselines = BaselineRepository(session)
    drifts = DriftRepository(session)
    open_drift: dict[int, list[StoredDrift]] = {}
    for item in drifts.open(where):
        open_drift.setdefault(item.result_id, []).append(item)
    approvals = []
    for stored in ResultRepository(session).latest_measured_all(where):
        result = stored.result
        new = approval(result, by=by, reason=reason)
        previous = baselines.current(result.check, result.subject, result.environment)
        baseline = _store_baseline(baselines, stored, new, now)
        approvals.append(Approval(baseline, previous, tuple(open_drift.get(stored.id, ()))))
    return approvals


def _store_baseline(
    baselines: BaselineRepository, stored: StoredResult, new: NewBaseline, now: dt.datetime
) -> Baseline:
    return baselines.add(
        check=stored.result.check,
        subject=stored.result.subject,
        environment=stored.result.environment,
        result_id=stored.id,
        observations=new.observations,
        approved_at=now,
        approved_by=new.approved_by,
        reason=new.reason,
        automatic=new.automatic,
    )
