"""Tick identity and claiming: replicas agree on fire times; one claim wins; the schema of
the fleet tables equals their models on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

from monitor.config.daemon import JobSchedule
from monitor.daemon.replicas import aligned_trigger, nominal_fire_time
from monitor.storage import open_database
from monitor.storage.fleet import TickRepository
from monitor.storage.fleet_models import JobTickRow
from monitor.storage.models import Base
from tests.support.postgres import PostgresServer
from tests.support.schema import schema_differences

T = dt.datetime(2025, 3, 1, 12, 0, 7, 300_000, tzinfo=dt.UTC)


def test_interval_ticks_are_aligned_to_the_epoch_whenever_a_replica_started() -> None:
    """Two replicas started 7 s apart fire at the same times: multiples of `every`."""
    schedule = JobSchedule(every=dt.timedelta(seconds=15))
    trigger = aligned_trigger(schedule)
    early = trigger.get_next_fire_time(None, T)
    late = trigger.get_next_fire_time(None, T + dt.timedelta(seconds=7))
    assert early == late == dt.datetime(2025, 3, 1, 12, 0, 15, tzinfo=dt.UTC)
    assert nominal_fire_time(schedule, T) == dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def test_a_jittered_or_late_fire_names_its_own_tick() -> None:
    """A fire 9 s late (jitter, a busy pool) still belongs to the tick it was scheduled for."""
    schedule = JobSchedule(cron="*/15 * * * *", timezone="Europe/Berlin")
    fire = dt.datetime(2025, 3, 1, 12, 30, 9, tzinfo=dt.UTC)
    assert nominal_fire_time(schedule, fire) == dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.UTC)
    weekly = JobSchedule(cron="17 3 * * mon")
    assert nominal_fire_time(weekly, fire) == dt.datetime(2025, 2, 24, 3, 17, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fleet.db"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_schema(f"t_{uuid.uuid4().hex[:12]}")


def test_replicas_claiming_one_tick_at_once_leave_exactly_one_winner(url: str) -> None:
    """Eight claims of the same (job, fire time) at once: one row, one winner, no error."""
    db = open_database(url)
    won: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def claim(n: int) -> None:
        barrier.wait()
        try:
            with db.transaction() as session:
                if TickRepository(session).claim("dns", T, f"replica-{n}", 30.0) is not None:
                    won.append(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert errors == []
        assert len(won) == 1
        with db.transaction() as session:
            tick = TickRepository(session).find("dns", T)
        assert tick is not None and tick.replica == f"replica-{won[0]}"
    finally:
        db.dispose()


def test_fleet_tables_match_their_models(url: str) -> None:
    """0008_replicas creates exactly what fleet_models.py (and the new indexes) declare."""
    assert JobTickRow.__tablename__ in Base.metadata.tables
    db = open_database(url)
    try:
        assert schema_differences(db) == []
    finally:
        db.dispose()
