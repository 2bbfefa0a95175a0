"""Reverse names of report source IPs: our resolver, a bounded cache, a failure breaker.

Reports repeat the same senders day after day, so names are cached for the life of this
object (least recently used dropped first, `max_cached` entries; the resolver underneath
keeps each answer only for its TTL). A PTR that cannot be answered (timeout, SERVFAIL) leaves
the name unknown rather than failing the report: reverse DNS is enrichment. After
`max_failures` unanswered questions in a row the resolver is taken to be down and the rest of
the input is stored without names, so a dead resolver costs seconds, not hours (parsedmarc
#34/#79: hanging reverse DNS on large reports).
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["ReverseNames"]


class ReverseNames:
    """PTR names by IP, through a `checks.dns.resolver.Resolver`.

    Args:
        resolver: our resolver (explicit nameservers, timeouts, retries of transient errors).
        max_cached: IPs remembered (names and "no name" alike).
        workers: concurrent PTR questions for one batch of new IPs.
        max_failures: consecutive unanswerable questions before giving up on this batch.
    """

    def __init__(
        self, resolver: Any, *, max_cached: int = 10_000, workers: int = 16, max_failures: int = 5
    ) -> None:
        self.resolver = resolver
        self.max_cached = max_cached
        self.workers = workers
        self.max_failures = max_failures
        self._names: OrderedDict[str, str | None] = OrderedDict()
        self._lock = threading.Lock()
        self.lookups = 0
        self.failures = 0

    def names(self, ips: Iterable[str]) -> dict[str, str | None]:
        """The PTR name of each IP (None: no name, or not answerable now)."""
        wanted = list(dict.fromkeys(ips))
        found: dict[str, str | None] = {}
        missing = []
        with self._lock:
            for ip in wanted:
                if ip in self._names:
                    self._names.move_to_end(ip)
                    found[ip] = self._names[ip]
                else:
                    missing.append(ip)
        if missing:
            found.update(self._ask_all(missing))
        return found

    def _ask_all(self, ips: list[str]) -> dict[str, str | None]:
        results: dict[str, str | None] = {}
        streak = 0
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(ips)))) as pool:
            for start in range(0, len(ips), self.workers):
                batch = ips[start : start + self.workers]
                if streak >= self.max_failures:
                    results.update(dict.fromkeys(batch))
                    continue
                for ip, (name, answered) in zip(batch, pool.map(self._ask, batch), strict=True):
                    results[ip] = name
                    streak = 0 if answered else streak + 1
                    if answered:
                        self._remember(ip, name)
        return results

    def _ask(self, ip: str) -> tuple[str | None, bool]:
        """(name, answered): answered is False when DNS could not say."""
        from checks.dns.resolver import DnsUnavailable, UnaskableName

        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None, True
        with self._lock:
            self.lookups += 1
        try:
            answer = self.resolver.query(address.reverse_pointer, "PTR")
        except DnsUnavailable:
            with self._lock:
                self.failures += 1
            return None, False
        except UnaskableName:
            return None, True
        name = answer.records[0].rstrip(".").lower() if answer.records else None
        return name, True

    def _remember(self, ip: str, name: str | None) -> None:
        with self._lock:
            self._names[ip] = name
            self._names.move_to_end(ip)
            while len(self._names) > self.max_cached:
                self._names.popitem(last=False)
