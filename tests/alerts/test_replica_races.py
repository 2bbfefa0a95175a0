"""Replicas racing on one problem: it fires once, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from monitor.engine.alerting import process_run
from monitor.storage import Database
from monitor.storage.alerts_models import AlertStateRow, NotificationRow
from tests.alerts.conftest import FakeClock
from tests.alerts.test_alerting import canary, settings
from tests.support.http_receiver import HttpReceiver


def race(workers: int, call: Callable[[], None]) -> list[BaseException]:
    """Run `call` in `workers` threads released together; the exceptions they raised."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_replicas_seeing_one_problem_at_once_fire_it_once(
    any_db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """Four replicas apply the same failing canary at the same moment, twice over: the
    problem is one alert in one episode with exactly one `first` notification, and no
    replica's transaction fails."""
    cfg = settings(receiver)
    for _round in range(2):
        errors = race(4, lambda: process_run(any_db, cfg, [canary(True)], [], now=clock()))
        assert errors == []
        clock.advance(minutes=1)
    with any_db.transaction() as session:
        states = session.execute(select(AlertStateRow.state, AlertStateRow.episode)).all()
        firsts = session.scalar(select(func.count()).where(NotificationRow.reason == "first"))
    assert states == [("firing", 1)]
    assert firsts == 1
