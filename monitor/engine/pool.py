"""The runner's worker threads: a bounded pool with per-check deadlines and a clean end.

Workers pull spec indexes from a queue and run them. A check still running past its deadline
gets a `check.deadline_exceeded` ERROR result at once and a fresh worker takes its slot, so
one hung check neither holds the run nor the other checks. Python cannot kill a thread, so
the stuck one is *abandoned*, not stopped; what happens to it is settled here:

- its eventual result is discarded (the run already recorded the deadline), never delivered;
- every worker is tracked, and the end of the run joins them all within one bounded wait
  (`cleanup_wait_s`), so a check that was only slow (a DNS query finishing its retries) is
  gone before the run returns;
- what is still running after that wait is counted in the returned `PoolReport`, logged as a
  warning with the thread names (which the `check.deadline_exceeded` result's evidence also
  carries), and left as a daemon thread, which cannot keep the process alive at exit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from checks.base import CheckContext, Clock
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Finding, Severity
from monitor.engine.guard import DEADLINE_EXCEEDED, error_result
from monitor.engine.plan import CheckSpec

__all__ = ["PoolReport", "RunCheck", "WorkerPool"]

log = logging.getLogger("senderwatch.runner")

RunCheck = Callable[[CheckSpec, CheckContext], CheckResult]
"""Runs one spec in the calling thread and never raises (`monitor.engine.runner.run_one`)."""

_POOL_NUMBERS = itertools.count(1)  # tells the threads of two runs apart in logs


@dataclasses.dataclass(frozen=True, slots=True)
class PoolReport:
    """How a run's worker threads ended.

    Attributes:
        workers: names of every worker thread the run started.
        abandoned: how many checks were given up at their deadline.
        still_running: names of worker threads alive after the bounded cleanup wait (each
            holds an abandoned check that has not returned yet).
    """

    workers: tuple[str, ...] = ()
    abandoned: int = 0
    still_running: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class _Running:
    t0: float
    started_at: dt.datetime
    worker: str


class WorkerPool:
    """Daemon worker threads for one run (see the module docstring)."""

    def __init__(
        self,
        specs: Sequence[CheckSpec],
        run_check: RunCheck,
        resolver: Resolver,
        clock: Clock,
        size: int,
    ) -> None:
        self.specs = specs
        self.run_check = run_check
        self.resolver = resolver
        self.clock = clock
        self.size = size
        self.name = f"senderwatch-check-{next(_POOL_NUMBERS)}"
        self.todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[tuple[int, CheckResult]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.running: dict[int, _Running] = {}
        self.abandoned: set[int] = set()
        self.threads: list[threading.Thread] = []

    def run(
        self,
        deadline: float,
        on_result: Callable[[int, CheckResult], None],
        *,
        cleanup_wait_s: float,
    ) -> PoolReport:
        """Run every spec, hand each result to `on_result` in this thread, then clean up.

        Args:
            deadline: seconds a spec may run when it sets no `deadline_s` of its own.
            on_result: called once per spec index, in this thread.
            cleanup_wait_s: the longest the end of the run waits for abandoned checks.
        """
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
                if index not in delivered:
                    delivered.add(index)
                    on_result(index, result)
            for index, result in self._overdue(deadline):
                delivered.add(index)
                on_result(index, result)
        return self._finish(cleanup_wait_s)

    def _spawn(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self.name}-{len(self.threads) + 1}", daemon=True
        )
        self.threads.append(thread)
        thread.start()

    def _work(self) -> None:
        worker = threading.current_thread().name
        while True:
            try:
                index = self.todo.get_nowait()
            except queue.Empty:
                return
            spec = self.specs[index]
            with self.lock:
                self.running[index] = _Running(time.monotonic(), self.clock(), worker)
            ctx = CheckContext(
                resolver=self.resolver, clock=self.clock, environment=spec.environment
            )
            result = self.run_check(spec, ctx)
            with self.lock:
                self.running.pop(index, None)
                abandoned = index in self.abandoned
            if abandoned:
                # The run recorded check.deadline_exceeded for this spec and a replacement
                # worker took this slot: the late result is dropped and this thread ends.
                log.debug("%s: late result of %s %s discarded", worker, spec.check_id, spec.subject)
                return
            self.done.put((index, result))

    def _wait_time(self, deadline: float) -> float:
        with self.lock:
            due = [r.t0 + (self.specs[i].deadline_s or deadline) for i, r in self.running.items()]
        if not due:
            return 0.5
        return max(0.01, min(min(due) - time.monotonic(), 0.5))

    def _overdue(self, deadline: float) -> list[tuple[int, CheckResult]]:
        now = time.monotonic()
        late: list[tuple[int, _Running, float]] = []
        with self.lock:
            for index, running in list(self.running.items()):
                limit = self.specs[index].deadline_s or deadline
                if now - running.t0 > limit:
                    del self.running[index]
                    self.abandoned.add(index)
                    late.append((index, running, limit))
        out = []
        for index, running, limit in late:
            self._spawn()
            spec = self.specs[index]
            finding = Finding(
                code=DEADLINE_EXCEEDED,
                severity=Severity.CRITICAL,
                message=f"no result within the deadline of {limit:g}s",
                details={"deadline_s": limit},
                unmeasurable=True,
            )
            result = error_result(
                spec.check_id,
                spec.subject,
                spec.environment,
                started_at=running.started_at,
                duration_s=now - running.t0,
                finding=finding,
                evidence={"abandoned_thread": running.worker},
            )
            out.append((index, result))
        return out

    def _finish(self, cleanup_wait_s: float) -> PoolReport:
        """Join every worker within one bounded wait; report (and log) what is left."""
        end = time.monotonic() + cleanup_wait_s
        for thread in self.threads:
            thread.join(timeout=max(0.0, end - time.monotonic()))
        alive = tuple(t.name for t in self.threads if t.is_alive())
        report = PoolReport(tuple(t.name for t in self.threads), len(self.abandoned), alive)
        if alive:
            log.warning(
                "%d check(s) abandoned at their deadline; %d worker thread(s) still running "
                "after waiting %gs, left as daemon threads: %s",
                report.abandoned,
                len(alive),
                cleanup_wait_s,
                ", ".join(alive),
            )
        elif report.abandoned:
            log.info(
                "%d check(s) abandoned at their deadline; all worker threads ended",
                report.abandoned,
            )
        return report
