"""Query etiquette towards blocklists: answers kept for their TTL, a rate limit per list.

Blocklists are shared services with usage limits (Spamhaus's free use is a daily volume per
resolver; going over it earns 127.255.255.255 and then nothing). A daemon that checks every few
minutes would ask the same questions again and again, so:

- `AnswerCache` keeps each answer until its DNS TTL (the negative TTL for NXDOMAIN) runs out,
  across runs; the per-run `Resolver` cache alone dies with the run;
- `TokenBucket` lets `burst` queries out at once, then `rate` per second, per list.

One `QueryBudget` lives as long as the process (the daemon keeps it between runs); the check
reaches it through its Config, never through a module global, so tests get their own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["AnswerCache", "QueryBudget", "TokenBucket"]

Monotonic = Callable[[], float]


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; `take` waits for one (thread-safe)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def take(self) -> float:
        """Wait until a token is free and take it; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    self.waited_s += waited
                    return waited
                pause = (1 - self._tokens) / self.rate
            self._sleep(pause)
            waited += pause


class AnswerCache:
    """Values kept until their own TTL, at most `max_entries` (least recently used dropped)."""

    def __init__(self, max_entries: int = 10_000, *, clock: Monotonic = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: Any) -> Any | None:
        """The value stored under `key` while its TTL lasts, else None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: Any, value: Any, ttl: float) -> None:
        """Keep `value` for `ttl` seconds (nothing is kept for a TTL of 0 or less)."""
        if ttl <= 0:
            return
        with self._lock:
            self._items[key] = (self._clock() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


class QueryBudget:
    """The process-wide cache and the per-list rate limiters (one bucket per list name).

    A bucket is rebuilt when its list's rate or burst changes (a config reload), never
    shared between two lists.
    """

    def __init__(
        self,
        *,
        clock: Monotonic = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_entries: int = 10_000,
    ) -> None:
        self.cache = AnswerCache(max_entries, clock=clock)
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, name: str, rate: float, burst: int) -> TokenBucket:
        """The rate limiter of list `name`."""
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, max(1, burst)):
                bucket = TokenBucket(rate, burst, clock=self._clock, sleep=self._sleep)
                self._buckets[name] = bucket
            return bucket
