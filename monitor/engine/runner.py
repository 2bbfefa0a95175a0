"""Run a plan: every CheckSpec concurrently, each with a deadline, none able to crash the run.

The runner owns the result envelope and each check only measures: it builds one fresh
`Resolver` per run from `settings.dns` (so the per-run cache shares ESP include chains
between domains but never outlives the run), runs at most `dns.concurrency` checks at once,
and turns what a check could not deliver into an ERROR result (`monitor.engine.guard`):

- an unexpected exception → code `check.crashed`, the traceback in `evidence["traceback"]`;
- no result within the deadline → code `check.deadline_exceeded`.

The threads live in `monitor.engine.pool`: a check stuck past its deadline is abandoned
(Python cannot kill a thread), its late result discarded, and the end of the run joins every
worker within a bounded wait and reports (and logs) any still running.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from checks.base import CheckContext, Clock, utcnow
from checks.dns.resolver import Resolver
from checks.result import CheckResult
from monitor.config.core import DnsSettings
from monitor.engine.guard import guarded
from monitor.engine.plan import CheckSpec
from monitor.engine.pool import PoolReport, WorkerPool

__all__ = [
    "PoolReport",
    "Progress",
    "default_cleanup_wait",
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


def default_cleanup_wait(dns: DnsSettings) -> float:
    """Seconds the end of a run waits for checks abandoned at their deadline: one query
    through all its retries (plus backoff), so a check stuck in a DNS query usually sees it
    through, ends, and its thread is joined rather than left behind."""
    return dns.timeout * (dns.retries + 1) + 1.0


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
    cleanup_wait_s: float | None = None,
) -> list[CheckResult]:
    """Run every spec, at most `dns.concurrency` at once; results in the order of `specs`.

    Args:
        specs: what to run (see `monitor.engine.plan.build_plan`).
        dns: resolver settings, concurrency bound and default deadline.
        registry: check classes by id.
        clock: time source for `started_at`.
        progress: called in the calling thread once per finished result.
        resolver: a resolver to use instead of a fresh one built from `dns`.
        cleanup_wait_s: how long the end of the run waits for abandoned checks to finish;
            default `default_cleanup_wait(dns)`.
    """
    results: dict[int, CheckResult] = {}

    def collect(index: int, result: CheckResult) -> None:
        results[index] = result
        if progress is not None:
            progress(result)

    stream_specs(
        specs,
        dns=dns,
        registry=registry,
        on_result=collect,
        clock=clock,
        resolver=resolver,
        cleanup_wait_s=cleanup_wait_s,
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
    cleanup_wait_s: float | None = None,
) -> PoolReport:
    """Like `run_specs`, but hand each result to `on_result(index, result)` as it finishes
    (in the calling thread) and keep none: a run of thousands of domains is stored as it
    goes instead of held whole in memory.

    Returns:
        How the run's worker threads ended (abandoned checks, threads still running).
    """
    if not specs:
        return PoolReport()
    resolver = resolver or make_resolver(dns)
    wait = default_cleanup_wait(dns) if cleanup_wait_s is None else cleanup_wait_s
    pool = WorkerPool(
        specs,
        lambda spec, ctx: run_one(spec, registry, ctx),
        resolver,
        clock,
        min(dns.concurrency, len(specs)),
    )
    return pool.run(default_deadline(dns), on_result, cleanup_wait_s=wait)
