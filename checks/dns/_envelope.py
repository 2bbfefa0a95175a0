"""The envelope shared by the DNS checks (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT).

Each check only measures: it fills an `Outcome` (findings, observations, evidence) and lets
`run_measurement` time it, roll its status up and turn a `DnsUnavailable` into the one finding
every check reports the same way. That keeps the rule "could not ask is ERROR, never FAIL, never
missing" in one place instead of six (checkdmarc #90, websegura #248).

A name no query can carry (`UnaskableName`) and a CNAME chain that loops or runs too long
(`CnameChainBroken`) are facts about the domain, not failures: each check catches them where it
knows what they mean (`Outcome.unaskable`, `Outcome.cname_broken`). Should one escape anyway,
the envelope records it as an unmeasurable finding instead of letting the run crash.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from checks.base import CheckContext
from checks.dns._lookup import CnameChainBroken
from checks.dns.resolver import MAX_NAME_OCTETS, DnsUnavailable, UnaskableName, to_ulabel
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

    def unaskable(
        self,
        exc: UnaskableName,
        severity: Severity,
        consequence: str,
        *,
        unmeasurable: bool = False,
        **details: Any,
    ) -> None:
        """Record a name no query can carry; `consequence` says what that means here."""
        if exc.reason == "name_too_long":
            what = (
                f"is {len(exc.name)} characters ({exc.octets} octets on the wire), over the "
                f"{MAX_NAME_OCTETS}-octet limit of a DNS name"
            )
        else:
            what = f"is not a name DNS can carry ({exc})"
        self.findings.append(
            Finding(
                code=exc.code,
                severity=severity,
                message=f"{to_ulabel(exc.name)} {what}: {consequence}",
                details={
                    "name": exc.name,
                    "octets": exc.octets,
                    "limit": MAX_NAME_OCTETS,
                    "reason": exc.reason,
                    **details,
                },
                unmeasurable=unmeasurable,
            )
        )

    def cname_broken(
        self,
        exc: CnameChainBroken,
        prefix: str,
        severity: Severity,
        consequence: str,
        *,
        unmeasurable: bool = False,
        **details: Any,
    ) -> None:
        """Record a CNAME loop or over-long chain as `<prefix>.cname_loop` or
        `<prefix>.cname_chain_too_long`; `consequence` says what that means here."""
        self.findings.append(
            Finding(
                code=f"{prefix}.{exc.code_suffix}",
                severity=severity,
                message=f"{exc.describe()}: {consequence}",
                details={
                    "name": exc.name,
                    "chain": list(exc.chain),
                    "hops": exc.hops,
                    "limit": exc.limit,
                    **details,
                },
                unmeasurable=unmeasurable,
            )
        )


def run_measurement(
    check: str, subject: str, ctx: CheckContext, measure: Callable[[Outcome], None]
) -> CheckResult:
    """Run `measure` inside the result envelope.

    A `DnsUnavailable` that escapes `measure` means the rest could not be measured: it is
    recorded as an unmeasurable finding, and what was measured before it is kept as it is. So
    is an `UnaskableName` or `CnameChainBroken` the check did not handle itself: never a crash.

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
    except UnaskableName as exc:
        outcome.unaskable(exc, Severity.CRITICAL, "the check could not finish.", unmeasurable=True)
    except CnameChainBroken as exc:
        outcome.cname_broken(
            exc, "dns", Severity.CRITICAL, "the check could not finish.", unmeasurable=True
        )
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
