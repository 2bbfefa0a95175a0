"""The envelope shared by the DNS checks (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT).

Each check only measures: it fills an `Outcome` (findings, observations, evidence) and lets
`run_measurement` time it, roll its status up and turn a `DnsUnavailable` into the one finding
every check reports the same way. That keeps the rule "could not ask is ERROR, never FAIL, never
missing" in one place instead of six (checkdmarc #90, websegura #248).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from checks.base import CheckContext
from checks.dns.resolver import DnsUnavailable, to_ulabel
from checks.result import CheckResult, Finding, Scalar, Severity, rollup_status

__all__ = ["Outcome", "run_measurement"]


@dataclasses.dataclass
class Outcome:
    """What a check measured so far; mutable while the check runs, frozen into a CheckResult."""

    findings: list[Finding] = dataclasses.field(default_factory=list)
    observations: dict[str, Scalar] = dataclasses.field(default_factory=dict)
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    versions: dict[str, str] = dataclasses.field(default_factory=dict)

    def add(self, code: str, severity: Severity, message: str, **details: Any) -> None:
        """Record one finding; `code` is the stable slug, `message` the human sentence."""
        self.findings.append(Finding(code, severity, message, details))

    def unavailable(self, exc: DnsUnavailable) -> None:
        """Record a question DNS could not answer: the result becomes ERROR, not FAIL."""
        self.findings.append(
            Finding(
                code=f"dns.{exc.cause}",
                severity=Severity.CRITICAL,
                message=(
                    f"Could not measure: the {exc.rdtype} query for {to_ulabel(exc.name)} "
                    f"failed ({exc.cause}) after retries."
                ),
                details={
                    "name": exc.name,
                    "rdtype": exc.rdtype,
                    "cause": exc.cause,
                    "detail": exc.detail,
                },
                unmeasurable=True,
            )
        )


def run_measurement(
    check: str, subject: str, ctx: CheckContext, measure: Callable[[Outcome], None]
) -> CheckResult:
    """Run `measure` inside the result envelope.

    A `DnsUnavailable` that escapes `measure` means the rest could not be measured: it is
    recorded as an unmeasurable finding, and what was measured before it is kept as it is.

    Args:
        check: short check name ("dmarc").
        subject: the domain as configured (U-labels stay U-labels).
        ctx: the check context; its clock stamps `started_at`.
        measure: fills the outcome; may raise `DnsUnavailable`.

    Returns:
        The finished CheckResult with its status rolled up from the findings.
    """
    started_at = ctx.clock()
    t0 = time.perf_counter()
    outcome = Outcome()
    try:
        measure(outcome)
    except DnsUnavailable as exc:
        outcome.unavailable(exc)
    return CheckResult(
        check=check,
        kind="dns",
        subject=subject,
        environment=ctx.environment,
        started_at=started_at,
        duration_s=time.perf_counter() - t0,
        status=rollup_status(outcome.findings),
        observations=dict(outcome.observations),
        findings=tuple(outcome.findings),
        evidence=dict(outcome.evidence),
        versions=dict(outcome.versions),
    )
