"""Our own report types: what the rest of senderwatch sees, whatever parsedmarc returns.

parsedmarc's dictionaries changed shape between majors (10.0 renamed "forensic" to
"failure" and added the RFC 9990 fields), so they never leave `parse.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

__all__ = [
    "AggregateRecord",
    "AggregateReport",
    "AuthResult",
    "ParserMissing",
    "Rejected",
    "TlsFailure",
    "TlsPolicy",
    "TlsReport",
]


class Rejected(Exception):
    """An input that is not a storable report, and why.

    Args:
        code: stable slug, e.g. `reports.xml_entities`, `reports.expands_too_far`,
            `reports.truncated_gzip`, `reports.not_a_report`, `reports.invalid_xml`.
        message: one line for a person (never the whole payload).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message[:500]


class ParserMissing(Exception):
    """parsedmarc (the `reports` extra) is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "reading DMARC reports needs parsedmarc: pip install 'senderwatch[reports]'"
        )


@dataclasses.dataclass(frozen=True, slots=True)
class AuthResult:
    """One DKIM or SPF result of a record, as the receiver reported it."""

    method: str  # dkim | spf
    domain: str
    result: str
    selector: str | None = None  # DKIM
    scope: str | None = None  # SPF: mfrom | helo


@dataclasses.dataclass(frozen=True, slots=True)
class AggregateRecord:
    """One `<record>`: `count` messages from one source IP with the same results."""

    source_ip: str
    count: int
    disposition: str  # none | quarantine | reject | pass (RFC 9990)
    dkim_aligned: bool  # policy_evaluated dkim == pass
    spf_aligned: bool  # policy_evaluated spf == pass
    header_from: str
    envelope_from: str | None
    envelope_to: str | None
    auth: tuple[AuthResult, ...]
    override_reasons: tuple[str, ...] = ()

    @property
    def dmarc_pass(self) -> bool:
        """DMARC passes with an aligned pass of either SPF or DKIM (RFC 7489 §3.1)."""
        return self.dkim_aligned or self.spf_aligned

    def first(self, method: str) -> AuthResult | None:
        """The first DKIM or SPF result, preferring a pass."""
        results = [a for a in self.auth if a.method == method]
        return next((a for a in results if a.result == "pass"), results[0] if results else None)


@dataclasses.dataclass(frozen=True, slots=True)
class AggregateReport:
    """One aggregate report: reporter, id, range, the policy it saw, and its records.

    The identity is (org_name, report_id, domain, begin, end): report ids are not unique
    across reporters, and one reporter may reuse an id for another range.
    """

    org_name: str
    report_id: str
    domain: str
    begin: dt.datetime
    end: dt.datetime
    email: str | None
    policy: dict[str, str | None]  # p, sp, pct, adkim, aspf, fo, np, testing, ...
    schema: str  # "rfc7489" | "rfc9990"
    records: tuple[AggregateRecord, ...]

    @property
    def key(self) -> tuple[str, str, str, dt.datetime, dt.datetime]:
        return (self.org_name, self.report_id, self.domain, self.begin, self.end)

    @property
    def messages(self) -> int:
        return sum(r.count for r in self.records)


@dataclasses.dataclass(frozen=True, slots=True)
class TlsFailure:
    """One `failure-details` entry of a TLS-RPT policy."""

    result_type: str
    count: int
    sending_mta_ip: str | None = None
    receiving_mx_hostname: str | None = None
    receiving_ip: str | None = None
    reason_code: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class TlsPolicy:
    """One policy (domain) of a TLS report, with its session counts."""

    domain: str
    policy_type: str  # sts | tlsa | no-policy-found
    successful: int
    failed: int
    failures: tuple[TlsFailure, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class TlsReport:
    """One SMTP TLS report (RFC 8460 §4)."""

    org_name: str
    report_id: str
    begin: dt.datetime
    end: dt.datetime
    contact: str | None
    policies: tuple[TlsPolicy, ...]
