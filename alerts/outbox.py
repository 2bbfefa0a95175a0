"""Durable delivery: the outbox dispatcher and the store protocol it runs on.

Rows are written by the lifecycle in the same transaction as the alert state change
(`monitor.engine.alerting`); this module only delivers them. One row's life:

1. `pending`, due at `next_attempt_at`;
2. claimed: a conditional UPDATE (on PostgreSQL after `SELECT ... FOR UPDATE SKIP LOCKED`)
   moves it to `sending` with a lease, so replicas never deliver the same row at once;
3. the channel returns: `sent` (only now, never before);
4. retryable failure (timeout, 408, 429, 5xx): back to `pending` with `next_attempt_at` =
   now + exponential backoff with jitter, or the receiver's Retry-After if longer; after
   `max_attempts` it is `dead`;
5. permanent failure (other 4xx, refused login): `failed` with the error stored and logged;
6. process killed while `sending`: the lease expires and any dispatcher claims it again.
   The row id is the idempotency key, so the receiver drops the duplicate.

The dispatcher loop is "do one unit, return whether more" (`run_once`); `drain` waits for
persisted due times within a bounded wait, never in a hidden retry loop.

`drain(wait)` is a hard bound on the time it takes, in-flight requests included: each
attempt's timeout is cut to the time left, no attempt starts with less than `min_attempt`
seconds left (its row is not even claimed), and sleeping for a retry never passes the
deadline. What is left stays queued for the next run, `alerts deliver` or the daemon.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Protocol

import tenacity

from alerts.event import DeliveryError, Notification

if TYPE_CHECKING:  # the channels (jinja2, requests) load when channels are built
    from alerts.channels.base import Channel

__all__ = [
    "DeliveryStatus",
    "DispatchReport",
    "Dispatcher",
    "OutboxItem",
    "OutboxStore",
    "RetryPolicy",
]

log = logging.getLogger("senderwatch.alerts.outbox")


class DeliveryStatus:
    """Row statuses (plain strings in the database)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # permanent error: a retry cannot fix it
    DEAD = "dead"  # retryable errors until max_attempts ran out


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed row: the notification and how many attempts were made before this one."""

    notification: Notification
    attempts: int


class OutboxStore(Protocol):
    """What the dispatcher needs from storage (implemented by `monitor.storage`)."""

    def claim(
        self, now: dt.datetime, channels: Collection[str], lease: dt.timedelta, limit: int
    ) -> list[OutboxItem]:
        """Claim up to `limit` due rows of these channels (pending and due, or sending with an
        expired lease), each with a conditional UPDATE that must touch exactly one row."""

    def mark_sent(self, notification_id: str, now: dt.datetime, attempts: int) -> None:
        """The channel returned: the row is done."""

    def mark_retry(
        self, notification_id: str, attempts: int, next_attempt_at: dt.datetime, error: str
    ) -> None:
        """A retryable failure: pending again, due at `next_attempt_at`."""

    def mark_failed(
        self, notification_id: str, attempts: int, error: str, now: dt.datetime, *, dead: bool
    ) -> None:
        """Given up: `dead` after max attempts, otherwise a permanent failure."""

    def next_due(self, channels: Collection[str]) -> dt.datetime | None:
        """Earliest time a row of these channels becomes claimable, or None if none is left."""

    def count_waiting(self, channels: Collection[str]) -> int:
        """Rows of these channels not yet delivered and not given up (pending or sending)."""


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped, plus the receiver's Retry-After.

    Delay before attempt n+1 = min(cap, initial * 2**(n-1)) + uniform(0, initial), computed
    with tenacity's wait functions; a Retry-After longer than that wins, up to
    `max_retry_after` (`alerts.delivery.retry_after_max`, by default `backoff_max`), so a
    receiver's header cannot park a row longer than the operator allows.
    """

    max_attempts: int = 8
    initial: float = 5.0
    cap: float = 600.0
    max_retry_after: float = 3600.0

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        wait = tenacity.wait_exponential(multiplier=self.initial, max=self.cap) + (
            tenacity.wait_random(0, self.initial)
        )
        state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
        state.attempt_number = max(1, attempts)
        backoff = float(wait(state))
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.max_retry_after))
        return backoff


@dataclasses.dataclass(slots=True)
class DispatchReport:
    """Counts of one `drain` (what `alerts deliver` and the one-shot commands print), or of
    the `run_once` calls since the dispatcher was made or last drained."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    waiting: int = 0  # rows still due later when the bounded wait ran out

    @property
    def problems(self) -> int:
        return self.failed + self.dead + self.waiting


class Dispatcher:
    """Claims due outbox rows and hands each to its channel, recording the outcome.

    Args:
        store: the outbox store.
        channels: configured channels by name; rows of other channels are left alone.
        clock: aware UTC now (injected).
        policy: retry policy.
        lease: how long a claim holds before another dispatcher may take the row over; longer
            than any channel's timeout.
        batch: rows claimed per unit of work.
        min_attempt: seconds an attempt needs at least; within a drain, none starts with
            less time left (a request cut shorter would likely fail for our deadline's sake
            and spend one of the row's attempts).
    """

    def __init__(
        self,
        store: OutboxStore,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], dt.datetime],
        policy: RetryPolicy | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=2),
        batch: int = 10,
        min_attempt: float = 1.0,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.min_attempt = min_attempt
        self.report = DispatchReport()

    def run_once(self, *, timeout: float | None = None) -> bool:
        """Claim and deliver one batch. Returns whether anything was claimed.

        Args:
            timeout: when given, one row only, its attempt's timeout capped to this many
                seconds (what `drain` uses to keep its deadline).
        """
        limit = self.batch if timeout is None else 1
        items = self.store.claim(self.clock(), self.channels.keys(), self.lease, limit)
        for item in items:
            self._deliver(item, timeout)
        return bool(items)

    def _deliver(self, item: OutboxItem, timeout: float | None) -> None:
        n = item.notification
        channel = self.channels[n.channel]
        attempts = item.attempts + 1
        try:
            channel.deliver(n, timeout=timeout)
        except DeliveryError as exc:
            self._failed(item, attempts, exc.message, exc.retryable, exc.retry_after)
            return
        except Exception as exc:  # a channel bug must not kill the loop: push the row back
            message = f"unexpected {type(exc).__name__}: {channel.redact(str(exc))[:300]}"
            log.exception("notification %s to %s: %s", n.id, n.channel, message)
            self._failed(item, attempts, message, True, None)
            return
        self.store.mark_sent(n.id, self.clock(), attempts)
        self.report.sent += 1
        log.info("notification %s (%s) delivered to %s", n.id, n.reason.value, n.channel)

    def _failed(
        self,
        item: OutboxItem,
        attempts: int,
        message: str,
        retryable: bool,
        retry_after: float | None,
    ) -> None:
        n = item.notification
        now = self.clock()
        if not retryable:
            self.store.mark_failed(n.id, attempts, message, now, dead=False)
            self.report.failed += 1
            log.error(
                "notification %s to channel %s failed permanently (not retried): %s",
                n.id,
                n.channel,
                message,
            )
            return
        if attempts >= self.policy.max_attempts:
            self.store.mark_failed(n.id, attempts, message, now, dead=True)
            self.report.dead += 1
            log.error(
                "notification %s to channel %s gave up after %d attempts: %s",
                n.id,
                n.channel,
                attempts,
                message,
            )
            return
        delay = self.policy.delay(attempts, retry_after)
        self.store.mark_retry(n.id, attempts, now + dt.timedelta(seconds=delay), message)
        self.report.retried += 1
        log.warning(
            "notification %s to channel %s failed (attempt %d), retrying in %.1fs: %s",
            n.id,
            n.channel,
            attempts,
            delay,
            message,
        )

    def drain(
        self,
        wait: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> DispatchReport:
        """Deliver what is due, and retries that come due, within `wait` seconds in all.

        `wait` bounds everything, requests included: an attempt gets at most the time left
        as its timeout, and none starts with less than `min_attempt` seconds left.

        Returns:
            This drain's own counts; `waiting` is the number of rows still undelivered (they
            stay in the outbox for the next `alerts deliver`, check run or daemon tick).
        """
        self.report = DispatchReport()
        deadline = monotonic() + wait
        while (left := deadline - monotonic()) >= self.min_attempt:
            if self.run_once(timeout=left):
                continue
            due = self.store.next_due(self.channels.keys())
            if due is None:
                break
            delay = max(0.0, (due - self.clock()).total_seconds())
            if delay + self.min_attempt > deadline - monotonic():
                break
            sleep(max(delay, 0.01))
        self.report.waiting = self.store.count_waiting(self.channels.keys())
        return self.report
