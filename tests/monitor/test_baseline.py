"""Baseline decisions (pure) and their storage (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from checks.result import CheckResult, Status
from monitor.app import App
from monitor.config import parse_settings
from monitor.engine.baselines import record_evaluations
from monitor.errors import UsageError
from monitor.policy.baseline import FIRST_RESULT_APPROVER, approval, evaluate
from monitor.policy.drift import Direction
from monitor.services.baselines import Selection, approve
from monitor.storage import (
    Baseline,
    BaselineRepository,
    Database,
    DriftRepository,
    ResultRepository,
    StoredDrift,
)
from tests.monitor._fakes import T0, make_result, timeout_finding

REJECT = {"dmarc.p": "reject", "dmarc.present": True}
NONE = {"dmarc.p": "none", "dmarc.present": True}


def test_first_measured_result_becomes_the_baseline_automatically() -> None:
    """Nobody has to approve the starting point; the record says it was automatic."""
    decision = evaluate(make_result(observations=REJECT), None)
    assert decision.drifts == ()
    assert decision.new_baseline is not None
    assert decision.new_baseline.observations == REJECT
    assert decision.new_baseline.approved_by == FIRST_RESULT_APPROVER
    assert decision.new_baseline.automatic


def test_a_failing_first_result_still_becomes_the_baseline() -> None:
    """The baseline records what is; findings say whether that is good."""
    decision = evaluate(make_result(status=Status.FAIL, observations=NONE), None)
    assert decision.new_baseline is not None


def test_an_error_result_never_becomes_a_baseline_or_drifts() -> None:
    """Could-not-measure is neither a starting point nor a change."""
    error = make_result(status=Status.ERROR, findings=(timeout_finding(),))
    assert evaluate(error, None).new_baseline is None
    assert evaluate(error, REJECT).drifts == ()


def test_later_results_are_compared_not_adopted() -> None:
    """Once a baseline exists only a person moves it."""
    decision = evaluate(make_result(observations=NONE), REJECT)
    assert decision.new_baseline is None
    assert [(d.key, d.direction) for d in decision.drifts] == [("dmarc.p", Direction.WEAKENED)]


def test_approval_needs_a_reason_and_a_measured_result() -> None:
    """An approval is a recorded decision: who and why, about something measured."""
    assert (
        approval(make_result(observations=NONE), by="ana", reason=" accepted ").reason == "accepted"
    )
    with pytest.raises(ValueError, match="reason"):
        approval(make_result(), by="ana", reason="  ")
    with pytest.raises(ValueError, match="approver"):
        approval(make_result(), by="", reason="ok")
    with pytest.raises(ValueError, match="ERROR"):
        approval(make_result(status=Status.ERROR), by="ana", reason="ok")


def _app(database: Database) -> App:
    return App(parse_settings({}), clock=lambda: T0, shared_database=database)


def _store_all(db: Database, *results: CheckResult) -> tuple[list[Baseline], list[StoredDrift]]:
    with db.transaction() as session:
        repo = ResultRepository(session)
        run = repo.start_run(trigger="test", started_at=T0)
        stored = repo.add_all(run.id, results)
        return record_evaluations(session, stored, now=T0)


def _store(db: Database, result: CheckResult) -> tuple[Baseline | None, list[StoredDrift]]:
    created, drifts = _store_all(db, result)
    return (created[0] if created else None), drifts


def test_drift_is_stored_and_open_until_approved(database: Database) -> None:
    """check → baseline; weaker result → open drift; approve → new baseline, drift closed."""
    baseline, drifts = _store(database, make_result(observations=REJECT))
    assert baseline is not None
    assert drifts == []
    baseline2, drifts = _store(database, make_result(status=Status.FAIL, observations=NONE))
    assert baseline2 is None
    assert len(drifts) == 1
    with database.transaction() as session:
        (open_drift,) = DriftRepository(session).open()
    assert (open_drift.drift.key, open_drift.drift.before, open_drift.drift.after) == (
        "dmarc.p", "reject", "none",
    )  # fmt: skip
    (approved,) = approve(_app(database), Selection(), by="ana", reason="migrating")
    assert approved.previous is not None
    assert approved.previous.observations == REJECT
    assert approved.baseline.observations == NONE
    assert [d.drift.key for d in approved.accepted] == ["dmarc.p"]
    with database.transaction() as session:
        assert DriftRepository(session).open() == []
        history = BaselineRepository(session).history("dmarc", "example.test", None)
    assert [b.approved_by for b in history] == [FIRST_RESULT_APPROVER, "ana"]


def test_an_error_after_drift_keeps_the_drift_open(database: Database) -> None:
    """We could not see whether it went away, so it is still open."""
    _store(database, make_result(observations=REJECT))
    _store(database, make_result(observations=NONE))
    baseline, drifts = _store(
        database, make_result(status=Status.ERROR, findings=(timeout_finding(),))
    )
    assert (baseline, drifts) == (None, [])
    with database.transaction() as session:
        assert [d.drift.key for d in DriftRepository(session).open()] == ["dmarc.p"]


def test_drift_that_returns_to_baseline_is_no_longer_open(database: Database) -> None:
    """Put the record back and the newest result shows no drift."""
    _store(database, make_result(observations=REJECT))
    _store(database, make_result(observations=NONE))
    _store(database, make_result(observations=REJECT))
    with database.transaction() as session:
        assert DriftRepository(session).open() == []


def test_approve_only_touches_matching_keys(database: Database) -> None:
    """--domain/--env/--check narrow what is approved."""
    _store(database, make_result("dmarc", "a.test", observations=REJECT))
    _store(database, make_result("dmarc", "b.test", observations=REJECT))
    _store(database, make_result("dmarc", "a.test", environment="prod", observations=REJECT))
    approvals = approve(_app(database), Selection("a.test", "prod"), by="ana", reason="r")
    assert [(a.baseline.subject, a.baseline.environment) for a in approvals] == [("a.test", "prod")]


def test_approve_never_uses_an_error_result(database: Database) -> None:
    """Approving after a timeout adopts the last measured state, not an empty one."""
    _store(database, make_result(observations=REJECT))
    _store(database, make_result(observations=NONE))
    _store(database, make_result(status=Status.ERROR, findings=(timeout_finding(),)))
    (approved,) = approve(_app(database), Selection(), by="ana", reason="r")
    assert approved.baseline.observations == NONE


def test_one_run_evaluates_many_keys_at_once(database: Database) -> None:
    """A run's results are evaluated together: first results make baselines, others drift."""
    _store(database, make_result("dmarc", "a.test", observations=REJECT))
    created, drifts = _store_all(
        database,
        make_result("dmarc", "a.test", observations=NONE),
        make_result("dmarc", "b.test", observations=REJECT),
        make_result("dmarc", "a.test", environment="prod", observations=REJECT),
    )
    assert {(b.subject, b.environment) for b in created} == {("b.test", None), ("a.test", "prod")}
    assert [(d.drift.subject, d.drift.key) for d in drifts] == [("a.test", "dmarc.p")]


def test_a_key_twice_in_one_run_is_evaluated_in_order(database: Database) -> None:
    """The second result of a key is compared with the baseline the first one made."""
    created, drifts = _store_all(
        database,
        make_result(observations=REJECT),
        make_result(observations=NONE),
    )
    assert [b.observations for b in created] == [REJECT]
    assert [(d.drift.key, d.baseline_id) for d in drifts] == [("dmarc.p", created[0].id)]


def test_approve_one_check_leaves_the_others(database: Database) -> None:
    """`baseline approve --check dmarc` approves dmarc only, not every check of the domain."""
    _store(database, make_result("dmarc", "a.test", observations=REJECT))
    _store(database, make_result("spf", "a.test", observations={"spf.all": "-all"}))
    approvals = approve(_app(database), Selection(check="dmarc"), by="ana", reason="r")
    assert [a.baseline.check for a in approvals] == ["dmarc"]
    approvals = approve(_app(database), Selection(check="dns.spf"), by="ana", reason="r")
    assert [a.baseline.check for a in approvals] == ["spf"]


def test_approving_nothing_or_an_unknown_name_is_a_usage_error(database: Database) -> None:
    """A typo must never look like "done": no match, unknown domain or check exit 2."""
    _store(database, make_result("dmarc", "a.test", observations=REJECT))
    app = _app(database)
    with pytest.raises(UsageError, match=r"unknown domain 'nosuch\.test'"):
        approve(app, Selection(domain="nosuch.test"), by="ana", reason="r")
    with pytest.raises(UsageError, match="unknown check 'bimi'"):
        approve(app, Selection(check="bimi"), by="ana", reason="r")
    with pytest.raises(UsageError, match="nothing to approve"):
        approve(app, Selection(domain="a.test", check="mx"), by="ana", reason="r")
    assert UsageError("x").exit_code == 2
