"""Run a plan: every CheckSpec concurrently, each with a deadline, none able to crash the run.

The runner fills the envelope, the check fills the facts [BB]: it builds one fresh
`Resolver` per run from `settings.dns` (so the per-run cache shares ESP include chains
between domains but never outlives the run), runs at most `dns.concurrency` checks at once,
and turns what a check could not deliver into an ERROR result:

- an unexpected exception → code `check.crashed`, the traceback in `evidence["traceback"]`;
- no result within the deadline → code `check.deadline_exceeded`.

Worker threads are daemon threads: a check stuck past its deadline is abandoned (Python
cannot kill a thread) and a fresh worker takes its slot, so one hung check neither holds the
run nor keeps the process alive at exit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from checks.base import CheckContext, Clock, utcnow
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Finding, Severity
from monitor.config.core import DnsSettings
from monitor.engine.guard import DEADLINE_EXCEEDED, error_result, guarded
from monitor.engine.plan import CheckSpec

__all__ = [
    "Progress",
    "default_deadline",
    "make_resolver",
    "run_one",
    "run_specs",
    "stream_specs",
]

Progress = Callable[[CheckResult], None]


def make_resolver(dns: DnsSettings) -> Resolver:
    """A new resolver (empty cache) built from the DNS settings: one per run."""
    return Resolver(dns.nameservers, timeout=dns.timeout, retries=dns.retries)


def default_deadline(dns: DnsSettings) -> float:
    """Seconds one DNS check may take: a dozen sequential queries that each use every retry
    (an SPF tree at the RFC 7208 limit of 10 lookups, plus the record itself), plus slack."""
    return 12 * dns.timeout * (dns.retries + 1) + 5.0


def run_one(spec: CheckSpec, registry: Mapping[str, type], ctx: CheckContext) -> CheckResult:
    """Run one spec in the calling thread; any exception becomes a `check.crashed` result."""
    result = guarded(
        spec.check_id,
        spec.subject,
        spec.environment,
        ctx.clock,
        lambda: _call_check(spec, registry, ctx),
    )
    # The run is for this environment whatever the check wrote (it is the baseline's key).
    return dataclasses.replace(result, environment=spec.environment)


def _call_check(spec: CheckSpec, registry: Mapping[str, type], ctx: CheckContext) -> CheckResult:
    cls = registry.get(spec.check_id)
    if cls is None:
        raise LookupError(f"no check registered as {spec.check_id!r}")
    result = cls().run(spec.subject, spec.config, ctx)
    if not isinstance(result, CheckResult):
        raise TypeError(f"{spec.check_id} returned {type(result).__name__}, not CheckResult")
    return result


def run_specs(
    specs: Sequence[CheckSpec],
    *,
    dns: DnsSettings,
    registry: Mapping[str, type],
    clock: Clock = utcnow,
    progress: Progress | None = None,
    resolver: Resolver | None = None,
) -> list[CheckResult]:
    """Run every spec, at most `dns.concurrency` at once; results in the order of `specs`.

    Args:
        specs: what to run (see `monitor.engine.plan.build_plan`).
        dns: resolver settings, concurrency bound and default deadline.
        registry: check classes by id.
        clock: time source for `started_at`.
        progress: called in the calling thread once per finished result.
        resolver: a resolver to use instead of a fresh one built from `dns`.
    """
    results: dict[int, CheckResult] = {}

    def collect(index: int, result: CheckResult) -> None:
        results[index] = result
        if progress is not None:
            progress(result)

    stream_specs(
        specs, dns=dns, registry=registry, on_result=collect, clock=clock, resolver=resolver
    )
    return [results[i] for i in range(len(specs))]


def stream_specs(
    specs: Sequence[CheckSpec],
    *,
    dns: DnsSettings,
    registry: Mapping[str, type],
    on_result: Callable[[int, CheckResult], None],
    clock: Clock = utcnow,
    resolver: Resolver | None = None,
) -> None:
    """Like `run_specs`, but hand each result to `on_result(index, result)` as it finishes
    (in the calling thread) and keep none: a run of thousands of domains is stored as it
    goes instead of held whole in memory."""
    if not specs:
        return
    resolver = resolver or make_resolver(dns)
    pool = _Pool(specs, registry, resolver, clock, min(dns.concurrency, len(specs)))
    pool.run(default_deadline(dns), on_result)


class _Pool:
    """Daemon worker threads pulling spec indexes from a queue (see the module docstring)."""

    def __init__(
        self,
        specs: Sequence[CheckSpec],
        registry: Mapping[str, type],
        resolver: Resolver,
        clock: Clock,
        size: int,
    ) -> None:
        self.specs = specs
        self.registry = registry
        self.resolver = resolver
        self.clock = clock
        self.size = size
        self.todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[tuple[int, CheckResult]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.running: dict[int, tuple[float, dt.datetime]] = {}
        self.abandoned: set[int] = set()

    def run(self, deadline: float, on_result: Callable[[int, CheckResult], None]) -> None:
        for index in range(len(self.specs)):
            self.todo.put(index)
        for _ in range(self.size):
            self._spawn()
        delivered: set[int] = set()
        while len(delivered) < len(self.specs):
            try:
                index, result = self.done.get(timeout=self._wait_time(deadline))
            except queue.Empty:
                pass
            else:
                if index not in delivered:  # an abandoned check may still finish late
                    delivered.add(index)
                    on_result(index, result)
            for index, result in self._overdue(deadline):
                delivered.add(index)
                on_result(index, result)

    def _spawn(self) -> None:
        threading.Thread(target=self._work, name="senderwatch-check", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                index = self.todo.get_nowait()
            except queue.Empty:
                return
            spec = self.specs[index]
            with self.lock:
                self.running[index] = (time.monotonic(), self.clock())
            ctx = CheckContext(
                resolver=self.resolver, clock=self.clock, environment=spec.environment
            )
            result = run_one(spec, self.registry, ctx)
            with self.lock:
                self.running.pop(index, None)
                abandoned = index in self.abandoned
            self.done.put((index, result))
            if abandoned:
                return  # a replacement worker took this slot when the deadline passed

    def _wait_time(self, deadline: float) -> float:
        with self.lock:
            due = [
                t0 + (self.specs[i].deadline_s or deadline) for i, (t0, _) in self.running.items()
            ]
        if not due:
            return 0.5
        return max(0.01, min(min(due) - time.monotonic(), 0.5))

    def _overdue(self, deadline: float) -> list[tuple[int, CheckResult]]:
        now = time.monotonic()
        late = []
        with self.lock:
            for index, (t0, started_at) in list(self.running.items()):
                limit = self.specs[index].deadline_s or deadline
                if now - t0 > limit:
                    del self.running[index]
                    self.abandoned.add(index)
                    late.append((index, started_at, now - t0, limit))
        out = []
        for index, started_at, elapsed, limit in late:
            self._spawn()
            spec = self.specs[index]
            finding = Finding(
                code=DEADLINE_EXCEEDED,
                severity=Severity.CRITICAL,
                message=f"no result within the deadline of {limit:g}s",
                unmeasurable=True,
            )
            result = error_result(
                spec.check_id,
                spec.subject,
                spec.environment,
                started_at=started_at,
                duration_s=elapsed,
                finding=finding,
            )
            out.append((index, result))
        return out
