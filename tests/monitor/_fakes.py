"""Test doubles for pure-logic and runner tests: results and checks with scripted behaviour.

Integration tests use the real registry against the real Knot server; these exist so the
runner, drift and storage can be tested for behaviours no real check shows on demand
(crashing, hanging, counting concurrency).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from checks.base import CheckContext
from checks.result import CheckResult, Finding, Scalar, Severity, Status

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def make_result(
    check: str = "dmarc",
    subject: str = "example.test",
    *,
    environment: str | None = None,
    status: Status = Status.PASS,
    observations: Mapping[str, Scalar] | None = None,
    findings: tuple[Finding, ...] = (),
    evidence: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
    kind: str = "dns",
    started_at: dt.datetime = T0,
) -> CheckResult:
    return CheckResult(
        check=check,
        kind=kind,
        subject=subject,
        environment=environment,
        started_at=started_at,
        duration_s=0.01,
        status=status,
        observations=dict(observations or {}),
        findings=findings,
        evidence=dict(evidence or {}),
        versions=dict(versions or {}),
    )


def timeout_finding() -> Finding:
    return Finding("dns.timeout", Severity.CRITICAL, "no answer", unmeasurable=True)


class StaticCheck:
    """Returns the observations and status its Config scripts."""

    kind = "dns"
    name = "static"

    @dataclasses.dataclass(frozen=True)
    class Config:
        observations: Mapping[str, Scalar] = dataclasses.field(default_factory=dict)
        status: Status = Status.PASS

    def run(self, subject: str, config: Config, ctx: CheckContext) -> CheckResult:
        return dataclasses.replace(
            make_result(
                "static",
                subject,
                environment=ctx.environment,
                status=config.status,
                observations=config.observations,
                findings=(timeout_finding(),) if config.status is Status.ERROR else (),
            ),
            started_at=ctx.clock(),
        )


class CrashingCheck:
    kind = "dns"
    name = "crashing"

    @dataclasses.dataclass(frozen=True)
    class Config:
        message: str = "boom"

    def run(self, subject: str, config: Config, ctx: CheckContext) -> CheckResult:
        raise RuntimeError(config.message)


class BlockingCheck:
    """Blocks until its Config's event is set (or 30 s), counting how many run at once."""

    kind = "dns"
    name = "blocking"

    @dataclasses.dataclass(frozen=True)
    class Config:
        release: threading.Event
        gauge: Gauge

    def run(self, subject: str, config: Config, ctx: CheckContext) -> CheckResult:
        with config.gauge:
            config.release.wait(timeout=30)
        return make_result("blocking", subject, environment=ctx.environment)


class Gauge:
    """Counts concurrent holders and remembers the peak."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current = 0
        self.peak = 0
        self.entered = 0

    def __enter__(self) -> Gauge:
        with self._lock:
            self.current += 1
            self.entered += 1
            self.peak = max(self.peak, self.current)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.current -= 1
