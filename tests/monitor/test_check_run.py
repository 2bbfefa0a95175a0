"""run_checks: plan → run → store → baseline/drift → verdict, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from checks.result import Severity, Status
from monitor.cli._common import ExitCode
from monitor.config import parse_settings
from monitor.engine.check_run import RunStatus, record_results, run_checks, run_status, start_run
from monitor.engine.plan import CheckSpec
from monitor.policy.drift import Direction, Drift
from monitor.storage import Database, DriftRepository, ResultRepository
from tests.monitor._fakes import T0, StaticCheck, make_result, timeout_finding

REGISTRY: dict[str, type] = {"dns.static": StaticCheck}
SETTINGS = parse_settings({"dns": {"nameservers": ["127.0.0.1:9"], "timeout": 0.5, "retries": 0}})


def _spec(subject: str = "a.test", status: Status = Status.PASS, **obs: object) -> CheckSpec:
    return CheckSpec("dns.static", subject, None, StaticCheck.Config(obs, status))  # type: ignore[arg-type]


def _drift(severity: Severity, direction: Direction) -> Drift:
    return Drift("dmarc", "a.test", None, "dmarc.p", "reject", "none", direction, severity)


@pytest.mark.parametrize(
    ("statuses", "drifts", "expected"),
    [
        ([Status.PASS, Status.PASS], [], RunStatus.PASS),
        ([Status.PASS, Status.WARN], [], RunStatus.WARN),
        ([Status.PASS, Status.WARN], [_drift(Severity.WARNING, Direction.CHANGED)], RunStatus.WARN),
        ([Status.PASS], [_drift(Severity.CRITICAL, Direction.WEAKENED)], RunStatus.FAIL),
        ([Status.PASS], [_drift(Severity.INFO, Direction.STRENGTHENED)], RunStatus.PASS),
        ([Status.FAIL, Status.ERROR], [], RunStatus.FAIL),
        ([Status.ERROR, Status.ERROR], [], RunStatus.ERROR),
        ([Status.PASS, Status.ERROR], [], RunStatus.ERROR),
    ],
)
def test_run_status_worst_first(
    statuses: list[Status], drifts: list[Drift], expected: RunStatus
) -> None:
    """Fail beats could-not-measure beats warn; a run is never green while blind."""
    results = [
        make_result(status=s, findings=(timeout_finding(),) if s is Status.ERROR else ())
        for s in statuses
    ]
    assert run_status(results, drifts) is expected


def test_run_status_exit_codes_are_the_cli_exit_codes() -> None:
    """One meaning per number, whoever computes it."""
    assert RunStatus.PASS.exit_code == RunStatus.WARN.exit_code == ExitCode.OK
    assert RunStatus.FAIL.exit_code == ExitCode.FAILED
    assert RunStatus.ERROR.exit_code == ExitCode.ERROR_ONLY


def test_first_run_stores_results_and_makes_baselines(database: Database) -> None:
    """Everything measured is kept; the first measurement becomes the baseline."""
    outcome = run_checks(
        SETTINGS,
        specs=[_spec("a.test", **{"dmarc.p": "reject"}), _spec("b.test", **{"dmarc.p": "reject"})],
        registry=REGISTRY,
        database=database,
        trigger="deploy",
        release="v7",
    )
    assert outcome.status is RunStatus.PASS
    assert outcome.exit_code == 0
    assert len(outcome.new_baselines) == 2
    assert outcome.drifts == ()
    with database.transaction() as session:
        repo = ResultRepository(session)
        run = repo.get_run(outcome.run_id)
        stored = repo.of_run(outcome.run_id)
    assert run is not None
    assert (run.trigger, run.release, run.status) == ("deploy", "v7", "pass")
    assert run.finished_at is not None
    assert [s.id for s in stored] == [s.id for s in outcome.results]


def test_weakening_fails_the_run_with_stored_critical_drift(database: Database) -> None:
    """The drift e2e in miniature: reject → none is critical, stored, linked."""
    run_checks(
        SETTINGS, specs=[_spec(**{"dmarc.p": "reject"})], registry=REGISTRY, database=database
    )
    outcome = run_checks(
        SETTINGS, specs=[_spec(**{"dmarc.p": "none"})], registry=REGISTRY, database=database
    )
    assert outcome.status is RunStatus.FAIL
    assert outcome.exit_code == 1
    (drift,) = outcome.drifts
    assert (drift.drift.key, drift.drift.direction, drift.drift.severity) == (
        "dmarc.p", Direction.WEAKENED, Severity.CRITICAL,
    )  # fmt: skip
    assert drift.result_id == outcome.results[0].id
    with database.transaction() as session:
        assert DriftRepository(session).of_result(drift.result_id) == [drift]


def test_only_errors_give_the_error_verdict_and_touch_no_baseline(database: Database) -> None:
    """A blind run is exit 3, creates no baseline and no drift."""
    outcome = run_checks(
        SETTINGS, specs=[_spec(status=Status.ERROR)], registry=REGISTRY, database=database
    )
    assert (outcome.status, outcome.exit_code) == (RunStatus.ERROR, 3)
    assert (outcome.new_baselines, outcome.drifts) == ((), ())


def test_results_from_several_sources_join_one_run(database: Database) -> None:
    """A canary (or any other producer) adds its results to the same run."""
    run = start_run(database, trigger="cli", started_at=T0)
    dns_result = make_result("dmarc", observations={"dmarc.p": "reject"})
    canary_result = make_result(
        "canary", kind="canary", environment="prod", observations={"canary.dkim": "pass"}
    )
    outcome = record_results(database, run, [dns_result, canary_result], finished_at=T0)
    assert outcome.run_id == run.id
    assert [s.result.check for s in outcome.results] == ["dmarc", "canary"]
    assert {(b.check, b.environment) for b in outcome.new_baselines} == {
        ("dmarc", None), ("canary", "prod"),
    }  # fmt: skip
