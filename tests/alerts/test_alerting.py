"""The run → alerts bridge: one transaction for state + outbox, then delivery to real receivers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from alerts.event import ProblemKey
from checks.result import CheckResult, Finding, Severity, Status
from monitor.app import App
from monitor.config import Settings, parse_settings
from monitor.engine.alerting import deliver_pending as deliver
from monitor.engine.alerting import process_run
from monitor.engine.check_run import record_results, start_run
from monitor.services.baselines import Selection, approve
from monitor.storage import Database
from monitor.storage.alerts_models import AlertStateRow, NotificationRow
from monitor.storage.alerts_store import AlertRepository
from tests.alerts.conftest import FakeClock, finding, new_whsec, result
from tests.support.http_receiver import HttpReceiver

SECRET = new_whsec()
ENV = {"SW_SECRET": SECRET}


def settings(receiver: HttpReceiver, **alerts: object) -> Settings:
    return parse_settings(
        {
            "environments": {"production": {"domain": "example.test"}},
            "alerts": {
                "channels": [
                    {
                        "name": "pager",
                        "kind": "webhook",
                        "url": receiver.url(),
                        "secret_env": "SW_SECRET",
                        "repeat_interval": "4h",
                    }
                ],
                **alerts,
            },
        }
    )


def canary(failing: bool) -> CheckResult:
    found = (finding("canary.dkim_fail", message="DKIM failed at the receiver"),)
    return result(
        *(found if failing else ()),
        check="canary",
        kind="canary",
        subject="production",
        environment="production",
    )


def run_and_deliver(db: Database, cfg: Settings, clock: FakeClock, *results: object) -> None:
    process_run(db, cfg, results, [], now=clock())  # type: ignore[arg-type]
    deliver(db, cfg, clock=clock, wait=5, environ=ENV)


def reasons(receiver: HttpReceiver) -> list[str]:
    return [r.json()["data"]["reason"] for r in receiver.requests]


def test_canary_fail_fail_pass_sends_exactly_one_firing_and_one_resolved(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """The on-call contract: damping swallows the first failure, then one page, one all-clear."""
    cfg = settings(receiver)
    for failing in (True, True, False):
        run_and_deliver(db, cfg, clock, canary(failing))
        clock.advance(minutes=10)
    assert reasons(receiver) == ["first", "resolved"]
    alert = receiver.requests[0].json()["data"]["alert"]
    assert (alert["key"], alert["domain"], alert["environment"]) == (
        "production/canary/canary.dkim_fail",
        "example.test",
        "production",
    )


class OutboxInsertFailed(Exception):
    """Raised by the database in place of the outbox INSERT."""


def _stored(db: Database) -> tuple[list[str], int]:
    with db.transaction() as session:
        states = list(session.scalars(select(AlertStateRow.state)))
        rows = session.scalar(select(func.count()).select_from(NotificationRow)) or 0
    return states, rows


def test_state_change_and_outbox_rows_commit_together(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """If the outbox INSERT fails, the state change is not stored either: one transaction."""
    cfg = settings(receiver)
    problem = [result(finding("spf.missing"))]

    def fail_outbox_insert(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            raise OutboxInsertFailed("INSERT INTO notifications refused")

    event.listen(db.engine, "before_cursor_execute", fail_outbox_insert)
    try:
        with pytest.raises(OutboxInsertFailed):
            process_run(db, cfg, problem, [], now=clock())
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_outbox_insert)
    assert _stored(db) == ([], 0)  # two transactions would have left the state "firing"
    process_run(db, cfg, problem, [], now=clock())
    assert _stored(db) == (["firing"], 1)  # nothing half-written blocks the next run


def test_silenced_domain_is_stored_and_not_notified(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A silence keeps the page away but the alert is still recorded as firing."""
    cfg = settings(receiver)
    with db.transaction() as session:
        AlertRepository(session).add_silence(
            now=clock(),
            duration=dt.timedelta(hours=2),
            reason="DNS migration",
            created_by="ops",
            domain="example.test",
        )
    outcome = process_run(db, cfg, [result(finding("spf.missing"))], [], now=clock())
    deliver(db, cfg, clock=clock, wait=5, environ=ENV)
    assert receiver.requests == []
    assert "DNS migration" in outcome.muted["example.test/spf/spf.missing"]


def test_acked_alert_gets_no_reminder_but_still_resolves(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """Ack stops the reminders for this episode; the all-clear still goes out."""
    cfg = settings(receiver)
    broken = result(finding("spf.missing"))
    run_and_deliver(db, cfg, clock, broken)
    with db.transaction() as session:
        AlertRepository(session).ack(
            ProblemKey("example.test", "spf", "spf.missing"), by="ops", reason="fixing", now=clock()
        )
    clock.advance(hours=5)
    run_and_deliver(db, cfg, clock, broken)
    run_and_deliver(db, cfg, clock, result())
    assert reasons(receiver) == ["first", "resolved"]


def test_reminder_after_the_repeat_interval(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """Still broken after the interval: one reminder, with the same alert key."""
    cfg = settings(receiver)
    broken = result(finding("spf.missing"))
    run_and_deliver(db, cfg, clock, broken)
    clock.advance(hours=1)
    run_and_deliver(db, cfg, clock, broken)
    clock.advance(hours=4)
    run_and_deliver(db, cfg, clock, broken)
    assert reasons(receiver) == ["first", "reminder"]


def test_check_erroring_past_the_grace_fires_check_unavailable(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A resolver that keeps timing out pages as 'unavailable', never as 'record missing'."""
    cfg = settings(receiver, lifecycle={"error_grace": "30m"})
    timeout = Finding("dns.timeout", Severity.CRITICAL, "DNS timeout", unmeasurable=True)
    erroring = result(timeout, status=Status.ERROR)
    run_and_deliver(db, cfg, clock, erroring)
    assert receiver.requests == []
    clock.advance(minutes=31)
    run_and_deliver(db, cfg, clock, erroring)
    [req] = receiver.requests
    assert req.json()["data"]["alert"]["code"] == "check.unavailable"


def test_missing_secret_keeps_rows_queued_and_says_which_variable(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A channel without its secret is reported by variable name; nothing is lost meanwhile."""
    cfg = settings(receiver)
    process_run(db, cfg, [result(finding("spf.missing"))], [], now=clock())
    report, problems = deliver(db, cfg, clock=clock, wait=5, environ={})
    assert problems == [
        "channel pager: secret_env: environment variable SW_SECRET is not set "
        "(it holds the secret); its notifications stay queued"
    ]
    assert report.sent == 0
    report, _ = deliver(db, cfg, clock=clock, wait=5, environ=ENV)
    assert report.sent == 1


def store_and_alert(db: Database, cfg: Settings, clock: FakeClock, *results: CheckResult) -> None:
    """What `check` does: store the run (a first result becomes the baseline), then alert."""
    run = start_run(db, trigger="test", started_at=clock())
    outcome = record_results(db, run, results, finished_at=clock())
    process_run(db, cfg, results, [d.drift for d in outcome.drifts], now=clock())
    deliver(db, cfg, clock=clock, wait=5, environ=ENV)
    clock.advance(minutes=10)


def no_tlsrpt() -> CheckResult:
    return result(finding("tlsrpt.missing", Severity.WARNING), check="tlsrpt")


def test_warning_present_when_the_baseline_was_taken_pages_nobody(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """No TLS-RPT from the first run on is posture: no alert state, no message, ever."""
    cfg = settings(receiver)
    store_and_alert(db, cfg, clock, no_tlsrpt())
    store_and_alert(db, cfg, clock, no_tlsrpt())
    assert receiver.requests == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AlertStateRow)) == 0


def test_warning_new_since_the_baseline_pages_until_approved_then_resolves(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A new warning pages; `baseline approve` makes it posture and the next run resolves it."""
    cfg = settings(receiver)
    store_and_alert(db, cfg, clock, result(check="tlsrpt"))
    store_and_alert(db, cfg, clock, no_tlsrpt())
    assert reasons(receiver) == ["first"]
    first = receiver.requests[0].json()["data"]["alert"]
    assert (first["severity"], first["summary"]) == (
        "warning",
        "TLS-RPT record of example.test missing",
    )
    app = App(cfg, clock=clock, shared_database=db)
    approve(app, Selection(check="tlsrpt"), by="ops", reason="no TLS-RPT yet")
    store_and_alert(db, cfg, clock, no_tlsrpt())
    store_and_alert(db, cfg, clock, no_tlsrpt())
    assert reasons(receiver) == ["first", "resolved"]
