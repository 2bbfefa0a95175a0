"""Baseline decisions: when a result becomes the baseline, and what drift it shows.

The decisions are pure (`evaluate`, `approval`); `monitor.engine.baselines` stores them for a
run, and `monitor.services.baselines` applies a person's approval.

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
from collections.abc import Mapping

from checks.result import CheckResult, Scalar, Status
from monitor.policy.drift import Drift, detect_drift

__all__ = [
    "FIRST_RESULT_APPROVER",
    "Evaluation",
    "NewBaseline",
    "approval",
    "evaluate",
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
    require_who_and_why(by, reason)
    return NewBaseline(
        observations=dict(result.observations),
        approved_by=by.strip(),
        reason=reason.strip(),
        automatic=False,
    )


def require_who_and_why(by: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError("a reason is required to approve a baseline")
    if not by.strip():
        raise ValueError("the approver's name is required")
