"""Delivery bounds: the one-shot wait is a hard bound, Retry-After is capped, reports are
per drain, and a URL that can never work is a config problem, not a retry loop.

Everything runs against a real HTTP receiver on loopback and the real SQLite outbox. The
elapsed-time assertions are correctness bounds (the command must return by then), not
performance measurements.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from alerts.channels import WebhookChannel, WebhookConfig
from alerts.event import DeliveryError, Notification, NotifyReason
from alerts.outbox import Dispatcher, RetryPolicy
from monitor.config import ConfigError, Settings, parse_settings
from monitor.engine.alerting import deliver_pending
from monitor.storage import Database
from monitor.storage.alerts_models import NotificationRow
from monitor.storage.alerts_store import SqlOutboxStore
from monitor.wiring.alerts import build_channel, retry_policy
from tests.alerts.conftest import FakeClock, new_whsec
from tests.alerts.test_outbox import enqueue
from tests.support.http_receiver import HttpReceiver, Reply

SECRET = new_whsec()
ENV = {"SW_SECRET": SECRET}
SLACK = 0.5  # seconds of bookkeeping allowed past the bound (database, thread hand-offs)


def wall() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def settings(receiver: HttpReceiver, timeout: float = 10.0, **delivery: object) -> Settings:
    return parse_settings(
        {
            "alerts": {
                "channels": [
                    {
                        "name": "pager",
                        "kind": "webhook",
                        "url": receiver.url(),
                        "secret_env": "SW_SECRET",
                        "timeout": timeout,
                    }
                ],
                "delivery": delivery,
            },
        }
    )


def next_attempt_in(db: Database, notification_id: str, now: dt.datetime) -> float:
    with db.transaction() as session:
        row = session.scalars(
            select(NotificationRow).where(NotificationRow.id == notification_id)
        ).one()
        return (row.next_attempt_at - now).total_seconds()


def test_a_hung_receiver_cannot_hold_a_one_shot_command_past_its_wait(
    db: Database, receiver: HttpReceiver
) -> None:
    """A 10 s channel timeout does not outlast `wait = "2s"`: the request gets the time left."""
    enqueue(db, wall(), channel="pager")
    receiver.script(default=Reply(hang=True))
    cfg = settings(receiver, timeout=10.0, wait="2s")
    started = time.monotonic()
    report, problems = deliver_pending(db, cfg, clock=wall, environ=ENV)
    elapsed = time.monotonic() - started
    assert problems == []
    assert elapsed <= 2 + SLACK, f"drain took {elapsed:.1f}s with wait = 2s"
    assert (report.sent, report.retried, report.waiting) == (0, 1, 1)


def test_an_always_failing_receiver_is_retried_only_within_the_wait(
    db: Database, receiver: HttpReceiver
) -> None:
    """Quick retries against a slow 500 keep going until the wait is spent, then stop."""
    enqueue(db, wall(), channel="pager")
    receiver.script(default=Reply(500, delay=0.4))
    cfg = settings(
        receiver, wait="3s", backoff_initial="100ms", backoff_max="200ms", max_attempts=100
    )
    started = time.monotonic()
    report, _ = deliver_pending(db, cfg, clock=wall, environ=ENV)
    elapsed = time.monotonic() - started
    assert elapsed <= 3 + SLACK, f"drain took {elapsed:.1f}s with wait = 3s"
    assert report.retried >= 2  # it did retry meanwhile
    assert (report.sent, report.waiting) == (0, 1)


def test_a_wait_shorter_than_one_attempt_leaves_the_row_unclaimed(
    db: Database, receiver: HttpReceiver
) -> None:
    """With less than a second to spend nothing starts: no attempt is burnt on our deadline."""
    nid = enqueue(db, wall(), channel="pager")
    report, _ = deliver_pending(db, settings(receiver, wait="0s"), clock=wall, environ=ENV)
    assert (report.sent, report.retried, report.waiting) == (0, 0, 1)
    assert receiver.requests == []
    with db.transaction() as session:
        row = session.scalars(select(NotificationRow).where(NotificationRow.id == nid)).one()
        assert (row.status, row.attempts) == ("pending", 0)


def test_retry_after_is_capped_at_backoff_max_by_default(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """`Retry-After: 3600` with `backoff_max = "8s"` waits about 8 s, not an hour."""
    nid = enqueue(db, clock(), channel="pager")
    receiver.script(Reply(429, headers={"Retry-After": "3600"}))
    cfg = settings(receiver, backoff_initial="1s", backoff_max="8s", wait="5s")
    deliver_pending(db, cfg, clock=clock, environ=ENV)
    assert 8 <= next_attempt_in(db, nid, clock()) <= 8 + 1  # cap + jitter below initial


def test_retry_after_max_lets_receivers_ask_for_longer(
    db: Database, receiver: HttpReceiver, clock: FakeClock
) -> None:
    """An operator may follow a receiver's Retry-After further, up to `retry_after_max`."""
    nid = enqueue(db, clock(), channel="pager")
    receiver.script(Reply(429, headers={"Retry-After": "3600"}))
    cfg = settings(receiver, backoff_max="8s", retry_after_max="30m", wait="5s")
    deliver_pending(db, cfg, clock=clock, environ=ENV)
    assert 1800 <= next_attempt_in(db, nid, clock()) <= 1800 + 5


def test_retry_after_max_is_never_beyond_an_hour() -> None:
    """No configuration lets a receiver park a notification for longer than an hour."""
    with pytest.raises(ConfigError) as info:
        parse_settings({"alerts": {"delivery": {"retry_after_max": "2h"}}})
    assert info.value.problems == [
        "config: alerts.delivery.retry_after_max: must be between 0s and 1h"
    ]
    policy = retry_policy(parse_settings({"alerts": {"delivery": {"backoff_max": "3h"}}}).alerts)
    assert policy.max_retry_after == 3600


def test_each_drain_reports_its_own_counts(db: Database, receiver: HttpReceiver) -> None:
    """A dispatcher drained twice reports one delivery each time, not a running total."""
    channel = WebhookChannel("hook", WebhookConfig(url=receiver.url(), signing_secret=SECRET))
    dispatcher = Dispatcher(SqlOutboxStore(db), {"hook": channel}, clock=wall)
    enqueue(db, wall())
    first = dispatcher.drain(5)
    enqueue(db, wall(), episode=2)  # the problem came back: its second episode's "first"
    second = dispatcher.drain(5)
    assert (first.sent, second.sent) == (1, 1)


def test_a_malformed_webhook_url_from_the_environment_is_a_config_error() -> None:
    """`url_env` holding "not a url" is refused when the channel is built, naming the
    variable and never the value, instead of failing every delivery as retryable."""
    cfg = parse_settings(
        {
            "alerts": {
                "channels": [{"name": "p", "kind": "webhook", "url_env": "HOOK", "secret_env": "S"}]
            }
        }
    )
    with pytest.raises(ConfigError) as info:
        build_channel(cfg.alerts.channels[0], {"HOOK": "not a url", "S": SECRET})
    [problem] = info.value.problems
    assert problem.startswith("channel p: $HOOK: must be an http(s) URL")
    assert "not a url" not in problem


def test_an_unrequestable_url_is_a_permanent_delivery_failure() -> None:
    """Whatever slipped past validation, a URL requests cannot even send to is not retried."""
    channel = WebhookChannel("hook", WebhookConfig(url="not a url", signing_secret=SECRET))
    note = Notification(
        id="msg_" + "0" * 32,
        channel="hook",
        reason=NotifyReason.TEST,
        alert={"key": "k"},
        created_at=wall(),
    )
    with pytest.raises(DeliveryError) as info:
        channel.deliver(note)
    assert info.value.retryable is False


def test_the_retry_policy_cap_is_applied_to_retry_after() -> None:
    """The pure rule: the longer of backoff and Retry-After, the latter capped."""
    policy = RetryPolicy(initial=1.0, cap=8.0, max_retry_after=8.0)
    assert 8.0 <= policy.delay(1, retry_after=3600) <= 9.0
