"""Canary rows: the migration matches the model, and a canary can be found by token later."""

from __future__ import annotations

import datetime as dt

from checks.canary.record import CanaryRecord
from monitor.storage import Database
from monitor.storage.canary_models import CanaryMessageRow, CanaryRepository
from monitor.storage.models import Base
from tests.support.schema import schema_differences

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def _record(token: str, sent_at: dt.datetime = T0, *, delivered: bool = True) -> CanaryRecord:
    return CanaryRecord(
        token=token,
        environment="staging",
        message_id=f"<{token}@example.test>",
        sent_at=sent_at,
        release="v1.2.3",
        delivered=delivered,
        received_at=sent_at + dt.timedelta(seconds=2) if delivered else None,
        detected_at=sent_at + dt.timedelta(seconds=3) if delivered else None,
    )


def test_migration_0003_creates_exactly_the_canary_model(database: Database) -> None:
    """A hand-written migration that drifts from the model breaks PostgreSQL first."""
    assert CanaryMessageRow.__tablename__ in Base.metadata.tables  # compared below
    assert schema_differences(database) == []


def test_stored_canary_is_found_by_token_with_its_times(database: Database) -> None:
    """A late or questioned canary is looked up by the token in its subject."""
    with database.transaction() as session:
        CanaryRepository(session).add(_record("sw-aaa"), run_id=None, result_id=None)
    with database.transaction() as session:
        stored = CanaryRepository(session).by_token("sw-aaa")
    assert stored is not None
    assert stored.record == _record("sw-aaa")
    assert stored.acknowledged_at is None


def test_acknowledgement_is_recorded_after_the_inbox_confirmed(database: Database) -> None:
    """Whether a canary was removed from the inbox is a fact of its own, set afterwards."""
    with database.transaction() as session:
        CanaryRepository(session).add(_record("sw-bbb"), run_id=None, result_id=None)
    at = T0 + dt.timedelta(seconds=5)
    with database.transaction() as session:
        CanaryRepository(session).mark_acknowledged("sw-bbb", at)
    with database.transaction() as session:
        stored = CanaryRepository(session).by_token("sw-bbb")
    assert stored is not None
    assert stored.acknowledged_at == at


def test_recent_lists_an_environments_canaries_newest_first(database: Database) -> None:
    """The debug view shows the last canaries of one environment, undelivered ones too."""
    with database.transaction() as session:
        repo = CanaryRepository(session)
        for i, token in enumerate(["sw-1", "sw-2", "sw-3"]):
            repo.add(
                _record(token, T0 + dt.timedelta(minutes=i), delivered=token != "sw-2"),
                run_id=None,
                result_id=None,
            )
    with database.transaction() as session:
        recent = CanaryRepository(session).recent("staging", limit=2)
    assert [c.record.token for c in recent] == ["sw-3", "sw-2"]
    assert recent[1].record.delivered is False
