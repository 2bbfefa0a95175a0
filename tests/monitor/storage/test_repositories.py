"""Repositories on SQLite and PostgreSQL: what goes in comes out, typed and timezone-aware."""

from __future__ import annotations

import datetime as dt

from checks.result import Finding, Severity, Status
from monitor.policy.drift import Direction, Drift
from monitor.storage import (
    BaselineDraft,
    BaselineRepository,
    Database,
    DriftRepository,
    KeyFilter,
    ResultRepository,
)
from tests.monitor._fakes import T0, make_result, timeout_finding


def _add_run(db: Database, *results: object) -> list[int]:
    with db.transaction() as session:
        repo = ResultRepository(session)
        run = repo.start_run(trigger="test", started_at=T0)
        return [repo.add(run.id, r).id for r in results]  # type: ignore[arg-type]


def test_a_result_round_trips_whole(database: Database) -> None:
    """Findings, observations, evidence and versions come back exactly as measured."""
    finding = Finding("dmarc.policy_none", Severity.CRITICAL, "p=none", {"policy": "none"})
    result = make_result(
        environment="production",
        status=Status.FAIL,
        observations={"dmarc.p": "none", "dmarc.pct": 100, "dmarc.present": True, "x": None},
        findings=(finding,),
        evidence={"record": "v=DMARC1; p=none", "strings": ["v=DMARC1;", " p=none"]},
        versions={"checkdmarc": "6.0.4"},
    )
    (result_id,) = _add_run(database, result)
    with database.transaction() as session:
        stored = ResultRepository(session).get(result_id)
    assert stored is not None
    assert stored.result == result
    assert stored.result.started_at.tzinfo is not None


def test_runs_record_trigger_release_and_status(database: Database) -> None:
    """A run row is written first and finished later, as `check` does."""
    with database.transaction() as session:
        run = ResultRepository(session).start_run(trigger="deploy", started_at=T0, release="v1.2")
    assert run.finished_at is None
    with database.transaction() as session:
        repo = ResultRepository(session)
        finished = repo.finish_run(run.id, finished_at=T0 + dt.timedelta(seconds=3), status="fail")
        assert repo.get_run(run.id) == finished
    assert (finished.trigger, finished.release, finished.status) == ("deploy", "v1.2", "fail")
    assert finished.finished_at == T0 + dt.timedelta(seconds=3)


def test_evidence_json_cannot_hold_is_stored_as_text(database: Database) -> None:
    """A check that put bytes in its evidence must not lose the whole run at commit."""
    (result_id,) = _add_run(database, make_result(evidence={"raw": b"\x00v=spf1", "at": T0}))
    with database.transaction() as session:
        stored = ResultRepository(session).get(result_id)
    assert stored is not None
    assert stored.result.evidence == {"raw": "b'\\x00v=spf1'", "at": str(T0)}


def test_latest_measured_skips_error_results(database: Database) -> None:
    """A baseline is only ever made from a result that measured something."""
    good = make_result(observations={"dmarc.p": "reject"})
    bad = make_result(status=Status.ERROR, findings=(timeout_finding(),))
    good_id, _bad_id = _add_run(database, good, bad)
    with database.transaction() as session:
        repo = ResultRepository(session)
        latest = repo.latest_measured("dmarc", "example.test", None)
        assert latest is not None
        assert latest.id == good_id
        assert repo.latest_measured("dmarc", "example.test", "production") is None
        assert [s.id for s in repo.latest_measured_all()] == [good_id]


def test_latest_measured_all_keeps_keys_apart(database: Database) -> None:
    """Environment None and "staging" are different keys; each gets its own newest result."""
    ids = _add_run(
        database,
        make_result("spf", "a.test"),
        make_result("spf", "a.test"),
        make_result("spf", "a.test", environment="staging"),
        make_result("dmarc", "b.test"),
    )
    with database.transaction() as session:
        repo = ResultRepository(session)
        assert {s.id for s in repo.latest_measured_all()} == {ids[1], ids[2], ids[3]}
        only_a = repo.latest_measured_all(KeyFilter(subject="a.test"))
        assert {s.id for s in only_a} == {ids[1], ids[2]}
        staging = repo.latest_measured_all(KeyFilter(environment="staging"))
        assert [s.id for s in staging] == [ids[2]]
        dmarc = repo.latest_measured_all(KeyFilter(check="dmarc"))
        assert [s.id for s in dmarc] == [ids[3]]


def test_baselines_keep_history_and_the_newest_is_current(database: Database) -> None:
    """Approvals never overwrite: who accepted what, when and why stays answerable."""
    (result_id,) = _add_run(database, make_result(observations={"dmarc.p": "reject"}))
    with database.transaction() as session:
        repo = BaselineRepository(session)
        for n, policy in enumerate(["reject", "none"]):
            repo.add(
                BaselineDraft(
                    check="dmarc",
                    subject="example.test",
                    environment=None,
                    result_id=result_id,
                    observations={"dmarc.p": policy},
                    approved_at=T0 + dt.timedelta(days=n),
                    approved_by=f"person{n}",
                    reason=f"reason {n}",
                    automatic=n == 0,
                )
            )
    with database.transaction() as session:
        repo = BaselineRepository(session)
        current = repo.current("dmarc", "example.test", None)
        history = repo.history("dmarc", "example.test", None)
        assert repo.current("dmarc", "example.test", "production") is None
        assert current is not None
        assert [b.id for b in repo.current_all()] == [current.id]
    assert (current.observations, current.approved_by, current.automatic) == (
        {"dmarc.p": "none"},
        "person1",
        False,
    )
    assert [b.reason for b in history] == ["reason 0", "reason 1"]
    assert history[0].approved_at == T0


def test_drift_rows_keep_scalar_types_and_links(database: Database) -> None:
    """before/after come back as stored: 2048 stays a number, an absent key stays null."""
    (result_id,) = _add_run(database, make_result(observations={}))
    drifts = [
        Drift(
            "dkim",
            "a.test",
            None,
            "dkim.s1.key_bits",
            2048,
            1024,
            Direction.WEAKENED,
            Severity.CRITICAL,
        ),
        Drift(
            "dkim", "a.test", None, "dkim.s2.present", None, True, Direction.ADDED, Severity.WARNING
        ),
    ]
    with database.transaction() as session:
        baseline = BaselineRepository(session).add(
            BaselineDraft("dkim", "a.test", None, result_id, {}, T0, "x", "y")
        )
        stored = DriftRepository(session).add(
            result_id=result_id, baseline_id=baseline.id, drifts=drifts, detected_at=T0
        )
    with database.transaction() as session:
        again = DriftRepository(session).of_result(result_id)
    assert [d.drift for d in again] == drifts == [d.drift for d in stored]
    assert {(d.result_id, d.baseline_id) for d in again} == {(result_id, baseline.id)}
    assert isinstance(again[0].drift.before, int)


def test_current_for_finds_the_current_baseline_of_each_asked_key(database: Database) -> None:
    """The batched lookup a run uses: only asked keys, newest approval each, None apart."""
    (result_id,) = _add_run(database, make_result())
    drafts = [
        BaselineDraft("dmarc", "a.test", None, result_id, {"v": 1}, T0, "x", "old"),
        BaselineDraft("dmarc", "a.test", None, result_id, {"v": 2}, T0, "x", "new"),
        BaselineDraft("dmarc", "a.test", "prod", result_id, {"v": 3}, T0, "x", "prod"),
        BaselineDraft("spf", "a.test", None, result_id, {"v": 4}, T0, "x", "not asked"),
        BaselineDraft("dmarc", "b.test", None, result_id, {"v": 5}, T0, "x", "b"),
    ]
    with database.transaction() as session:
        BaselineRepository(session).add_all(drafts)
    keys = [("dmarc", "a.test", None), ("dmarc", "a.test", "prod"), ("dmarc", "c.test", None)]
    with database.transaction() as session:
        found = BaselineRepository(session).current_for(keys)
    assert {key: b.reason for key, b in found.items()} == {
        ("dmarc", "a.test", None): "new",
        ("dmarc", "a.test", "prod"): "prod",
    }


def test_finding_codes_for_reads_the_current_baselines_result(database: Database) -> None:
    """Posture is what the current baseline's result found: a newer approval replaces it."""
    warn = Severity.WARNING
    first = make_result(findings=(Finding("dmarc.pct_partial", warn, "pct=50"),))
    later = make_result(findings=(Finding("dmarc.policy_none", warn, "p=none"),))
    prod = make_result(
        environment="prod", findings=(Finding("dmarc.no_rua", Severity.INFO, "no rua"),)
    )
    first_id, later_id, prod_id = _add_run(database, first, later, prod)
    drafts = [
        BaselineDraft("dmarc", "example.test", None, first_id, {}, T0, "x", "first result"),
        BaselineDraft("dmarc", "example.test", None, later_id, {}, T0, "x", "approved anew"),
        BaselineDraft("dmarc", "example.test", "prod", prod_id, {}, T0, "x", "prod"),
        BaselineDraft("spf", "example.test", None, None, {}, T0, "x", "no result recorded"),
    ]
    with database.transaction() as session:
        BaselineRepository(session).add_all(drafts)
    keys = [
        ("dmarc", "example.test", None),
        ("dmarc", "example.test", "prod"),
        ("spf", "example.test", None),
        ("mx", "example.test", None),
    ]
    with database.transaction() as session:
        codes = BaselineRepository(session).finding_codes_for(keys)
    assert codes == {
        ("dmarc", "example.test", None): frozenset({"dmarc.policy_none"}),
        ("dmarc", "example.test", "prod"): frozenset({"dmarc.no_rua"}),
    }
