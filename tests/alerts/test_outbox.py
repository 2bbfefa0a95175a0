"""The outbox dispatcher over the real SQLite store and a real HTTP receiver on loopback.

Retries are driven by persisted due times: the tests advance the injected clock past
`next_attempt_at` instead of sleeping, so nothing here waits on a timer.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from alerts.channels import WebhookChannel, WebhookConfig
from alerts.event import AlertRecord, AlertState, NotifyReason, ProblemKey
from alerts.outbox import Dispatcher, RetryPolicy
from alerts.routing import Intent
from checks.result import Severity
from monitor.storage import Database
from monitor.storage.alerts_models import NotificationRow
from monitor.storage.alerts_store import AlertRepository, SqlOutboxStore
from tests.alerts.conftest import FakeClock, new_whsec
from tests.support.http_receiver import HttpReceiver, Reply

POLICY = RetryPolicy(max_attempts=3, initial=10.0, cap=60.0)


def enqueue(db: Database, now: dt.datetime, channel: str = "hook", episode: int = 1) -> str:
    """One "first" notification (one per episode and channel: uq_notifications_once)."""
    record = AlertRecord(
        key=ProblemKey("example.test", "spf", "spf.missing"),
        state=AlertState.FIRING,
        episode=episode,
        sightings=1,
        kind="dns",
        severity=Severity.CRITICAL,
        summary="SPF record of example.test missing",
        labels={"domain": "example.test"},
        first_seen_at=now,
        last_seen_at=now,
        fired_at=now,
    )
    with db.transaction() as session:
        [notification_id] = AlertRepository(session).enqueue(
            [Intent(record, channel, NotifyReason.FIRST)], now
        )
    return notification_id


def row(db: Database, notification_id: str) -> NotificationRow:
    with db.transaction() as session:
        found = session.scalars(
            select(NotificationRow).where(NotificationRow.id == notification_id)
        ).one()
        session.expunge(found)
        return found


def dispatcher(db: Database, receiver: HttpReceiver, clock: FakeClock) -> Dispatcher:
    channel = WebhookChannel(
        "hook", WebhookConfig(url=receiver.url(), signing_secret=new_whsec(), timeout=0.5)
    )
    return Dispatcher(SqlOutboxStore(db), {"hook": channel}, clock=clock, policy=POLICY)


def test_500_then_success_delivers_on_the_retry_with_the_same_id(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A 5xx is retried after a backoff; the retry carries the same idempotency key."""
    nid = enqueue(db, clock())
    receiver.script(Reply(500))
    d = dispatcher(db, receiver, clock)
    assert d.run_once()
    failed = row(db, nid)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "HTTP 500" in (failed.last_error or "")
    assert d.run_once() is False  # not due yet: backoff is persisted, not slept
    clock.now = failed.next_attempt_at
    assert d.run_once()
    done = row(db, nid)
    assert (done.status, done.attempts) == ("sent", 2)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [nid, nid]


def test_429_waits_at_least_retry_after(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """Retry-After beats our own backoff when it is longer."""
    nid = enqueue(db, clock())
    receiver.script(Reply(429, headers={"Retry-After": "300"}))
    dispatcher(db, receiver, clock).run_once()
    due = row(db, nid).next_attempt_at
    assert due - clock() >= dt.timedelta(seconds=300)


def test_hung_receiver_times_out_and_is_retried(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A receiver that never answers costs one timeout per attempt, never a stuck row."""
    nid = enqueue(db, clock())
    receiver.script(Reply(hang=True))
    d = dispatcher(db, receiver, clock)
    d.run_once()
    assert row(db, nid).status == "pending"
    clock.now = row(db, nid).next_attempt_at
    d.run_once()
    assert row(db, nid).status == "sent"


def test_400_is_a_stored_permanent_failure_with_a_clear_log_line(
    db: Database, receiver: HttpReceiver, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 will not fix itself: one attempt, stored as failed, logged as permanent."""
    nid = enqueue(db, clock())
    receiver.script(Reply(400, body="bad payload"))
    d = dispatcher(db, receiver, clock)
    with caplog.at_level(logging.ERROR, logger="senderwatch.alerts.outbox"):
        d.run_once()
    failed = row(db, nid)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "HTTP 400" in (failed.last_error or "")
    assert f"notification {nid} to channel hook failed permanently" in caplog.text
    clock.advance(days=1)
    assert d.run_once() is False
    assert len(receiver.requests) == 1


def test_retryable_failures_end_dead_after_max_attempts(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """Retries are bounded: after max_attempts the row is dead, not retried forever."""
    nid = enqueue(db, clock())
    receiver.script(default=Reply(503))
    d = dispatcher(db, receiver, clock)
    for _ in range(POLICY.max_attempts):
        clock.advance(hours=1)
        assert d.run_once()
    assert (row(db, nid).status, row(db, nid).attempts) == ("dead", 3)
    assert d.report.dead == 1


def test_expired_lease_lets_another_dispatcher_take_over(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A dispatcher that died mid-send (kill -9) holds its rows only until the lease ends."""
    nid = enqueue(db, clock())
    store = SqlOutboxStore(db)
    [claimed] = store.claim(clock(), ["hook"], dt.timedelta(minutes=2), 10)
    assert claimed.notification.id == nid
    assert store.claim(clock(), ["hook"], dt.timedelta(minutes=2), 10) == []
    clock.advance(minutes=2)
    dispatcher(db, receiver, clock).run_once()
    assert row(db, nid).status == "sent"


def test_a_row_is_claimed_by_exactly_one_of_two_dispatchers(db: Database, clock: FakeClock) -> None:
    """The conditional UPDATE must touch one row: two claims never both win."""
    enqueue(db, clock())
    first = SqlOutboxStore(db).claim(clock(), ["hook"], dt.timedelta(minutes=2), 10)
    second = SqlOutboxStore(db).claim(clock(), ["hook"], dt.timedelta(minutes=2), 10)
    assert (len(first), len(second)) == (1, 0)


def test_rows_of_unconfigured_channels_are_left_queued(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A channel whose secret is missing keeps its rows until it is fixed."""
    nid = enqueue(db, clock(), channel="slack-without-secret")
    report = dispatcher(db, receiver, clock).drain(0)
    assert (row(db, nid).status, report.sent, len(receiver.requests)) == ("pending", 0, 0)


def test_drain_waits_for_a_due_retry_within_its_bound(db: Database, receiver: HttpReceiver) -> None:
    """The one-shot commands' bounded wait: a quick retry happens before they exit."""
    real = lambda: dt.datetime.now(dt.UTC)  # noqa: E731 - the wall clock, for a real wait
    nid = enqueue(db, real())
    receiver.script(Reply(500))
    channel = WebhookChannel(
        "hook", WebhookConfig(url=receiver.url(), signing_secret=new_whsec(), timeout=1)
    )
    quick = RetryPolicy(max_attempts=3, initial=0.05, cap=0.1)
    report = Dispatcher(SqlOutboxStore(db), {"hook": channel}, clock=real, policy=quick).drain(10)
    assert (report.sent, report.retried, report.waiting) == (1, 1, 0)
    assert row(db, nid).status == "sent"


def test_drain_gives_up_waiting_when_the_next_try_is_past_its_bound(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """A retry due later than the bound stays queued for the next run or daemon tick."""
    enqueue(db, clock())
    receiver.script(Reply(503))
    report = dispatcher(db, receiver, clock).drain(2)
    assert (report.sent, report.retried, report.waiting) == (0, 1, 1)


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 10])
def test_backoff_grows_exponentially_with_bounded_jitter(attempt: int) -> None:
    """Delay n = min(cap, initial*2^(n-1)) + jitter in [0, initial): spread, but bounded."""
    policy = RetryPolicy(initial=5.0, cap=600.0)
    base = min(600.0, 5.0 * 2 ** (attempt - 1))
    delays = [policy.delay(attempt) for _ in range(50)]
    assert all(base <= d <= base + 5.0 for d in delays)
    assert policy.delay(attempt, retry_after=10_000) == policy.max_retry_after
