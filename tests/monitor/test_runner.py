"""Runner: concurrency bounded, deadlines enforced, crashes recorded, order kept."""

from __future__ import annotations

import logging
import threading

import pytest

from checks.base import CheckContext
from checks.dns.resolver import Resolver
from checks.dns.spf import SpfCheck
from checks.result import CheckResult, Status
from monitor.config.core import DnsSettings
from monitor.engine.plan import CheckSpec
from monitor.engine.runner import default_deadline, make_resolver, run_specs, stream_specs
from tests.monitor._fakes import BlockingCheck, CrashingCheck, Gauge, StaticCheck
from tests.support.bad_dns import BlackholeDns

REGISTRY: dict[str, type] = {
    "dns.static": StaticCheck,
    "dns.crashing": CrashingCheck,
    "dns.blocking": BlockingCheck,
}
DNS = DnsSettings(nameservers=("127.0.0.1:9",), timeout=0.5, retries=0, concurrency=4)


def test_results_come_back_in_plan_order_with_the_environment_of_the_spec() -> None:
    """The run's environment is the baseline key, whatever the check wrote."""
    specs = [
        CheckSpec("dns.static", f"d{i}.test", "staging", StaticCheck.Config({"n": i}))
        for i in range(10)
    ]
    results = run_specs(specs, dns=DNS, registry=REGISTRY)
    assert [r.subject for r in results] == [f"d{i}.test" for i in range(10)]
    assert {r.environment for r in results} == {"staging"}
    assert [r.observations["n"] for r in results] == list(range(10))


def test_a_crashing_check_becomes_an_error_result_with_its_traceback() -> None:
    """A programming error in one check costs that check, not the run."""
    specs = [
        CheckSpec("dns.crashing", "a.test", None, CrashingCheck.Config("kaputt")),
        CheckSpec("dns.static", "a.test", None, StaticCheck.Config({"ok": True})),
    ]
    crashed, fine = run_specs(specs, dns=DNS, registry=REGISTRY)
    assert crashed.status is Status.ERROR
    assert crashed.codes() == {"check.crashed"}
    assert "RuntimeError: kaputt" in crashed.evidence["traceback"]
    assert (crashed.check, crashed.kind) == ("crashing", "dns")
    assert fine.status is Status.PASS


def test_an_unknown_check_id_is_an_error_result() -> None:
    """A spec the registry cannot run is recorded, not raised."""
    (result,) = run_specs([CheckSpec("dns.nope", "a.test", None, None)], dns=DNS, registry=REGISTRY)
    assert result.status is Status.ERROR
    assert result.codes() == {"check.crashed"}


def test_concurrency_never_exceeds_the_setting() -> None:
    """`dns.concurrency` bounds how many checks run at once (resolvers have limits too)."""
    gauge, release = Gauge(), threading.Event()
    specs = [
        CheckSpec("dns.blocking", f"d{i}.test", None, BlockingCheck.Config(release, gauge))
        for i in range(12)
    ]
    box: list[list[CheckResult]] = []
    worker = threading.Thread(
        target=lambda: box.append(run_specs(specs, dns=DNS, registry=REGISTRY))
    )
    worker.start()
    for _ in range(3000):  # wait until the pool is full (bounded: a bug must not hang)
        if gauge.current >= DNS.concurrency:
            break
        threading.Event().wait(0.01)
    release.set()
    worker.join(timeout=30)
    assert gauge.peak == DNS.concurrency
    assert gauge.entered == 12
    assert [r.status for r in box[0]] == [Status.PASS] * 12


def test_a_check_past_its_deadline_is_an_error_and_the_run_goes_on() -> None:
    """One hung check must not hold the run; its slot goes to the next check."""
    gauge, release = Gauge(), threading.Event()
    hung = CheckSpec(
        "dns.blocking", "hung.test", None, BlockingCheck.Config(release, gauge), deadline_s=0.2
    )
    rest = [CheckSpec("dns.static", f"d{i}.test", None, StaticCheck.Config()) for i in range(6)]
    one_worker = DnsSettings(nameservers=DNS.nameservers, timeout=0.5, retries=0, concurrency=1)
    try:
        results = run_specs([hung, *rest], dns=one_worker, registry=REGISTRY)
    finally:
        release.set()
    assert results[0].status is Status.ERROR
    assert results[0].codes() == {"check.deadline_exceeded"}
    assert [r.status for r in results[1:]] == [Status.PASS] * 6


def test_progress_is_reported_once_per_result() -> None:
    """The CLI's progress bar advances exactly to the number of checks."""
    seen: list[str] = []
    specs = [CheckSpec("dns.static", f"d{i}.test", None, StaticCheck.Config()) for i in range(5)]
    run_specs(specs, dns=DNS, registry=REGISTRY, progress=lambda r: seen.append(r.subject))
    assert sorted(seen) == [f"d{i}.test" for i in range(5)]


def test_every_run_gets_a_fresh_resolver_shared_by_its_checks() -> None:
    """One cache per run: shared include chains, never a stale record across runs."""
    seen: list[Resolver] = []

    class Spy(StaticCheck):
        def run(self, subject: str, config: StaticCheck.Config, ctx: CheckContext) -> CheckResult:
            seen.append(ctx.resolver)
            return super().run(subject, config, ctx)

    registry = {"dns.static": Spy}
    specs = [CheckSpec("dns.static", f"d{i}.test", None, StaticCheck.Config()) for i in range(3)]
    run_specs(specs, dns=DNS, registry=registry)
    run_specs(specs, dns=DNS, registry=registry)
    assert len({id(r) for r in seen[:3]}) == 1
    assert len({id(r) for r in seen}) == 2


def test_resolver_and_deadline_follow_the_dns_settings() -> None:
    """Nameservers, timeout and retries reach the resolver; the deadline covers retries."""
    resolver = make_resolver(DNS)
    assert (resolver.nameserver_specs, resolver.timeout, resolver.retries) == (
        ("127.0.0.1:9",),
        0.5,
        0,
    )
    slower = DnsSettings(timeout=2.0, retries=2)
    assert default_deadline(slower) > default_deadline(DNS) > 12 * DNS.timeout


def _new_workers(before: set[threading.Thread]) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t not in before and t.name.startswith("senderwatch-check") and t.is_alive()
    ]


def test_a_check_abandoned_mid_query_is_joined_before_the_run_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real resolver stuck on a blackhole server: the run ends with no worker left behind."""
    caplog.set_level(logging.INFO, logger="senderwatch.runner")
    before = set(threading.enumerate())
    with BlackholeDns() as hole:
        dns = DnsSettings(nameservers=(hole.address,), timeout=0.3, retries=1, concurrency=2)
        spec = CheckSpec("dns.spf", "healthy.test", None, SpfCheck.Config(), deadline_s=0.1)
        static = CheckSpec("dns.static", "a.test", None, StaticCheck.Config())
        (late, fine) = run_specs(
            [spec, static],
            dns=dns,
            registry={"dns.spf": SpfCheck, "dns.static": StaticCheck},
            cleanup_wait_s=10,
        )
        assert _new_workers(before) == []
    assert late.codes() == {"check.deadline_exceeded"}
    assert late.evidence["abandoned_thread"].startswith("senderwatch-check-")
    assert fine.status is Status.PASS
    assert "1 check(s) abandoned at their deadline; all worker threads ended" in caplog.text


def test_a_check_that_never_returns_is_counted_logged_and_its_late_result_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What cannot be joined is accounted for, and what it returns later is never delivered."""
    gauge, release = Gauge(), threading.Event()
    hung = CheckSpec(
        "dns.blocking", "hung.test", None, BlockingCheck.Config(release, gauge), deadline_s=0.1
    )
    delivered: list[tuple[int, CheckResult]] = []
    try:
        report = stream_specs(
            [hung, CheckSpec("dns.static", "a.test", None, StaticCheck.Config())],
            dns=DNS,
            registry=REGISTRY,
            on_result=lambda i, r: delivered.append((i, r)),
            cleanup_wait_s=0.2,
        )
    finally:
        release.set()
    assert report.abandoned == 1
    (stuck,) = report.still_running
    assert stuck in report.workers
    assert f"still running after waiting 0.2s, left as daemon threads: {stuck}" in caplog.text
    for thread in threading.enumerate():
        if thread.name == stuck:
            thread.join(timeout=10)
            assert not thread.is_alive()
    assert sorted(i for i, _ in delivered) == [0, 1]
    assert dict(delivered)[0].codes() == {"check.deadline_exceeded"}


def test_a_run_without_deadlines_leaves_no_worker_behind() -> None:
    """Workers end with the queue; the report names them and none is still running."""
    before = set(threading.enumerate())
    specs = [CheckSpec("dns.static", f"d{i}.test", None, StaticCheck.Config()) for i in range(8)]
    report = stream_specs(specs, dns=DNS, registry=REGISTRY, on_result=lambda i, r: None)
    assert (report.abandoned, report.still_running) == (0, ())
    assert len(report.workers) == DNS.concurrency
    assert _new_workers(before) == []
