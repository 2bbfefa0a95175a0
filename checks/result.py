"""The shared vocabulary every check speaks: Status, Severity, Finding, CheckResult.

Checks (DNS, SMTP, canary) return a `CheckResult`; storage persists it; drift compares its
`observations`; alerts read its `findings`. Nothing in this module does I/O, so every package
may import it without pulling in a network stack.

Why `ERROR` is a status of its own: "could not measure" (timeout, SERVFAIL, IMAP down) must
never be mistaken for "the record is bad" or "the record was deleted", or a monitor pages
people for a resolver hiccup (checkdmarc #90, websegura #248).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "CheckResult",
    "Finding",
    "Scalar",
    "Severity",
    "Status",
    "rollup_status",
]

Scalar = str | int | float | bool | None


class Status(enum.StrEnum):
    """Outcome of one check of one subject."""

    PASS = "pass"  # noqa: S105 - a status, not a password
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Order used to roll several statuses into one (worst wins; error sits apart)."""
        return _STATUS_RANK[self]


_STATUS_RANK = {Status.PASS: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}


class Severity(enum.StrEnum):
    """How much a finding matters. `critical` fails the check, `warning` warns it."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One measured problem or notable fact.

    `code` is a stable slug (`spf.too_many_lookups`): programs, drift and alert keys compare
    codes, never the human `message`, so a rewording is never a behaviour change.
    `unmeasurable` marks findings that say "could not check" (`dns.timeout`): they make the
    result ERROR instead of FAIL.
    """

    code: str
    severity: Severity
    message: str
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    unmeasurable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "details": dict(self.details),
            "unmeasurable": self.unmeasurable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            code=str(data["code"]),
            severity=Severity(data["severity"]),
            message=str(data.get("message", "")),
            details=dict(data.get("details") or {}),
            unmeasurable=bool(data.get("unmeasurable", False)),
        )


def rollup_status(findings: Iterable[Finding]) -> Status:
    """The status a set of findings implies.

    Any unmeasurable finding makes the whole result ERROR: a partly measured record must not
    be compared against a baseline, or a timeout on one include looks like a dropped include.
    """
    findings = list(findings)
    if any(f.unmeasurable for f in findings):
        return Status.ERROR
    worst = max((f.severity.rank for f in findings), default=0)
    if worst >= Severity.CRITICAL.rank:
        return Status.FAIL
    if worst >= Severity.WARNING.rank:
        return Status.WARN
    return Status.PASS


@dataclasses.dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check measured about one subject at one time.

    Attributes:
        check: short check name, e.g. "spf", "dmarc", "dkim", "mx", "canary", "smtp".
        kind: family of the check: "dns", "canary" or "smtp".
        subject: what was checked: a domain (DNS checks) or an environment name (canary, smtp).
        environment: environment the run was made for, or None for a plain domain check.
        started_at: timezone-aware UTC time the check started.
        duration_s: wall time the check took.
        status: rolled-up status (see `rollup_status`).
        observations: flat, normalised facts that drift compares (`dmarc.p`, `spf.lookups`).
        findings: measured problems, each with a stable code.
        evidence: raw material for humans (records, headers, log excerpts); never compared.
        versions: versions of libraries whose verdicts we relay, so an upgrade is not drift.
    """

    check: str
    kind: str
    subject: str
    environment: str | None
    started_at: dt.datetime
    duration_s: float
    status: Status
    observations: Mapping[str, Scalar] = dataclasses.field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    versions: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def check_id(self) -> str:
        """Registry key, e.g. "dns.spf"."""
        return f"{self.kind}.{self.check}"

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; the shape of one entry of `senderwatch check --format json`."""
        return {
            "check": self.check,
            "kind": self.kind,
            "subject": self.subject,
            "environment": self.environment,
            "status": self.status.value,
            "started_at": self.started_at.isoformat(),
            "duration_s": round(self.duration_s, 4),
            "findings": [f.to_dict() for f in self.findings],
            "observations": dict(self.observations),
            "evidence": dict(self.evidence),
            "versions": dict(self.versions),
        }
