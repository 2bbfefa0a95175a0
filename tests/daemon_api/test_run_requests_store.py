"""The run-request queue's table: migration equals the model; a request is claimed once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.storage import open_database
from monitor.storage.run_requests import RUNNING, RunRequestRepository, RunRequestRow
from tests.support.schema import schema_differences

NOW = dt.datetime(2025, 1, 5, 12, 0, tzinfo=dt.UTC)


def test_migration_0005_matches_the_run_requests_model(tmp_path: Path) -> None:
    """Columns, types and indexes of `run_requests` as migrated equal the model exactly."""
    db = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        assert schema_differences(db, [RunRequestRow.__tablename__]) == []
    finally:
        db.dispose()


def test_a_queued_request_is_claimed_by_exactly_one_runner(tmp_path: Path) -> None:
    """The second claim of the same row touches nothing: two replicas never run it twice."""
    db = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with db.transaction() as session:
            queued = RunRequestRepository(session).add(
                environment="production",
                release="v1",
                checks=("dns",),
                idempotency_key=None,
                requested_at=NOW,
            )
        with db.transaction() as session:
            assert RunRequestRepository(session).claim(queued.id, started_at=NOW)
        with db.transaction() as session:
            repo = RunRequestRepository(session)
            assert not repo.claim(queued.id, started_at=NOW)
            claimed = repo.get(queued.id)
            assert claimed is not None
            assert claimed.state == RUNNING
            assert repo.oldest_queued_id() is None
    finally:
        db.dispose()
