"""Baseline decisions: when a result becomes the baseline, and what drift it shows.

The decisions are pure (`evaluate`, `approval`); `record_evaluations` and `approve_latest`
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
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from checks.result import CheckResult, Scalar, Status
from monitor.policy.drift import Drift, detect_drift
from monitor.storage import (
    Baseline,
    BaselineDraft,
    BaselineKey,
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
    "record_evaluations",
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


def record_evaluations(
    session: Session, stored: Sequence[StoredResult], *, now: dt.datetime
) -> tuple[list[Baseline], list[StoredDrift]]:
    """Evaluate stored results against their current baselines and store the outcome.

    Batched (one baseline query, one insert per table) because a run of hundreds of domains
    has thousands of results. A key that appears twice is evaluated in order, the second time
    against what the first left.

    Returns:
        The baselines created (first results), and the drift rows stored.
    """
    baselines, drift_repo = BaselineRepository(session), DriftRepository(session)
    created: list[Baseline] = []
    drifts: list[StoredDrift] = []
    for batch in _rounds(stored):
        current = baselines.current_for([_key(s.result) for s in batch])
        drafts, found = [], []
        for item in batch:
            base = current.get(_key(item.result))
            decision = evaluate(item.result, None if base is None else base.observations)
            if decision.new_baseline is not None:
                drafts.append(_draft(item, decision.new_baseline, now))
            elif base is not None and decision.drifts:
                found.append((item.id, base.id, decision.drifts))
        created += baselines.add_all(drafts)
        drifts += drift_repo.add_all(found, detected_at=now)
    return created, drifts


def _key(result: CheckResult) -> BaselineKey:
    return (result.check, result.subject, result.environment)


def _rounds(stored: Sequence[StoredResult]) -> list[list[StoredResult]]:
    """Split into batches in which each key appears once, keeping order per key."""
    rounds: list[list[StoredResult]] = []
    seen: list[set[BaselineKey]] = []
    for item in stored:
        key = _key(item.result)
        index = next((i for i, keys in enumerate(seen) if key not in keys), len(rounds))
        if index == len(rounds):
            rounds.append([])
            seen.append(set())
        rounds[index].append(item)
        seen[index].add(key)
    return rounds


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
        baseline = baselines.add(_draft(stored, new, now))
        approvals.append(Approval(baseline, previous, tuple(open_drift.get(stored.id, ()))))
    return approvals


def _draft(stored: StoredResult, new: NewBaseline, now: dt.datetime) -> BaselineDraft:
    return BaselineDraft(
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
