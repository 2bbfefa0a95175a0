"""A run's results against their baselines, stored: first baselines and drift rows.

The decisions come from `monitor.policy.baseline` (pure); this module applies them through
the repositories inside the caller's transaction, so a result never exists without its drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from checks.result import CheckResult
from monitor.policy.baseline import NewBaseline, evaluate
from monitor.storage import (
    Baseline,
    BaselineDraft,
    BaselineKey,
    BaselineRepository,
    DriftRepository,
    StoredDrift,
    StoredResult,
)
from monitor.storage.key_locks import BASELINE_SUBJECTS, lock_keys

__all__ = ["baseline_draft", "record_evaluations"]


def record_evaluations(
    session: Session, stored: Sequence[StoredResult], *, now: dt.datetime
) -> tuple[list[Baseline], list[StoredDrift]]:
    """Evaluate stored results against their current baselines and store the outcome.

    On PostgreSQL the subjects are locked for the rest of the transaction first, so
    concurrent runs over one subject never both record its first baseline.

    Batched (one baseline query, one insert per table) because a run of hundreds of domains
    has thousands of results. A key that appears twice is evaluated in order, the second time
    against what the first left.

    Returns:
        The baselines created (first results), and the drift rows stored.
    """
    # Replicas evaluating the same subject take turns (monitor.storage.key_locks): the
    # second reads the first's new baseline instead of recording a duplicate.
    lock_keys(session, BASELINE_SUBJECTS, {s.result.subject for s in stored})
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
                drafts.append(baseline_draft(item, decision.new_baseline, now))
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


def baseline_draft(stored: StoredResult, new: NewBaseline, now: dt.datetime) -> BaselineDraft:
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
