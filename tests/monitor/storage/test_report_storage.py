"""Storage that lasts a year: repeated results are thinned, per-day rollups stay complete.

A domain checked every 15 minutes stores 35,000 results a year per check, nearly all the
same; the weekly report reads per-day counts and the changes. These tests hold what thinning
keeps (the ends of every streak, anything a drift, baseline or canary points at, everything
newer than RAW_KEEP) and that the rollups count every result, thinned or not.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from checks.result import Status
from monitor.storage import Database, ResultRepository
from monitor.storage.models import ResultRow
from monitor.storage.report_queries import day_totals
from monitor.storage.retention import RAW_KEEP, thin_repeated_results
from tests.monitor._fakes import make_result

DAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _store(db: Database, statuses: list[Status], start: dt.datetime) -> list[int]:
    results = [
        make_result(
            "dmarc",
            status=status,
            observations={"dmarc.p": "reject" if status is Status.PASS else "none"},
            started_at=start + dt.timedelta(minutes=15 * i),
        )
        for i, status in enumerate(statuses)
    ]
    with db.transaction() as session:
        return [s.id for s in ResultRepository(session).add_all(None, results)]


def _ids(db: Database) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(ResultRow.id).order_by(ResultRow.id)))


def test_repeats_are_thinned_to_the_first_and_last_of_each_streak(database: Database) -> None:
    """pass x5, warn x3, pass x4 keeps pass#1, pass#5, warn#1, warn#3, pass#1, pass#4."""
    P, W = Status.PASS, Status.WARN
    ids = _store(database, [P] * 5 + [W] * 3 + [P] * 4, DAY)
    deleted = thin_repeated_results(database, DAY + dt.timedelta(days=10))
    kept = [ids[0], ids[4], ids[5], ids[7], ids[8], ids[11]]
    assert _ids(database) == kept
    assert deleted == len(ids) - len(kept)


def test_recent_results_and_referenced_ones_stay_whole(database: Database) -> None:
    """Nothing newer than the cutoff goes, nor a row a canary points at."""
    from checks.canary.roundtrip import CanaryRecord
    from monitor.storage.canary_models import CanaryRepository

    ids = _store(database, [Status.PASS] * 6, DAY)
    with database.transaction() as session:
        record = CanaryRecord("tok", "production", "<m@x>", DAY, None, delivered=False)
        CanaryRepository(session).add(record, run_id=None, result_id=ids[2])
    thin_repeated_results(database, DAY + dt.timedelta(minutes=50))  # rows 0..3 are older
    assert _ids(database) == [ids[0], ids[2], *ids[4:]]


def test_rollups_count_every_result_whether_thinned_or_not(database: Database) -> None:
    """The report's per-day counts are the same before and after thinning."""
    _store(database, [Status.PASS] * 90 + [Status.FAIL] * 10, DAY)  # 25 h: two days
    keys = [("example.test", None)]
    with database.transaction() as session:
        before = day_totals(session, keys, None, DAY.date(), DAY.date() + dt.timedelta(days=2))
    thin_repeated_results(database, DAY + RAW_KEEP + dt.timedelta(days=2))
    with database.transaction() as session:
        after = day_totals(session, keys, None, DAY.date(), DAY.date() + dt.timedelta(days=2))
    assert before == after
    assert (after[DAY.date()]["runs"], after[DAY.date()]["passed"]) == (96, 90)
    assert after[DAY.date()]["failed"] == 6
    assert after[DAY.date() + dt.timedelta(days=1)]["runs"] == 4
    assert len(_ids(database)) == 4  # the two streaks' ends


def test_equal_results_hash_equal_and_times_do_not_count(database: Database) -> None:
    """The hash covers what was said, never when: two runs of the same posture compare equal."""
    with database.transaction() as session:
        rows = ResultRepository(session).add_all(
            None, [make_result(started_at=DAY), make_result(started_at=DAY + dt.timedelta(hours=1))]
        )
        hashes = session.scalars(
            select(ResultRow.content_hash).where(ResultRow.id.in_([r.id for r in rows]))
        ).all()
    assert len(set(hashes)) == 1 and hashes[0] is not None
