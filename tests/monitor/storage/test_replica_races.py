"""Replicas racing on a new key record one first baseline, on SQLite and PostgreSQL; the
unique index refuses a second automatic baseline even from a path that forgot the lock."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from checks.result import CheckResult, Status
from monitor.engine.baselines import record_evaluations
from monitor.storage import BaselineDraft, BaselineRepository, Database, ResultRepository
from monitor.storage.models import BaselineRow
from tests.alerts.test_replica_races import race

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def spf(environment: str | None) -> CheckResult:
    return CheckResult(
        check="spf",
        kind="dns",
        subject="race.example",
        environment=environment,
        status=Status.PASS,
        started_at=NOW,
        duration_s=0.01,
        observations={"spf.all": "-all"},
    )


@pytest.mark.parametrize("environment", [None, "production"])
def test_replicas_measuring_a_new_key_at_once_record_one_baseline(
    database: Database, environment: str | None
) -> None:
    """Four runs store the first result of one key together: one automatic baseline."""

    def measure() -> None:
        with database.transaction() as session:
            stored = ResultRepository(session).add_all(None, [spf(environment)])
            record_evaluations(session, stored, now=NOW)

    assert race(4, measure) == []
    with database.transaction() as session:
        count = session.scalar(select(func.count()).select_from(BaselineRow))
    assert count == 1


@pytest.mark.parametrize("environment", [None, "production"])
def test_a_second_automatic_baseline_of_a_key_is_refused(
    database: Database, environment: str | None
) -> None:
    """The backstop: a NULL environment counts as one key too (two partial indexes)."""
    draft = BaselineDraft(
        check="spf",
        subject="race.example",
        environment=environment,
        result_id=None,
        observations={},
        approved_at=NOW,
        approved_by="senderwatch (first result)",
        reason="first result",
        automatic=True,
    )
    with database.transaction() as session:
        BaselineRepository(session).add(draft)
    with pytest.raises(IntegrityError), database.transaction() as session:
        BaselineRepository(session).add(draft)
    approved = dataclasses.replace(draft, automatic=False, approved_by="ops", reason="ok")
    with database.transaction() as session:  # a person's approval is history, not a duplicate
        BaselineRepository(session).add(approved)
        assert len(BaselineRepository(session).history("spf", "race.example", environment)) == 2
