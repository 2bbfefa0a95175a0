"""The weekly sender-health report as typed data: what the SQL found, ready to render.

`monitor.services.report.build_weekly` fills these from the database; every renderer
(monitor.render.report) and the delivery read them and nothing else. All frozen, all plain
values, so the JSON document is `dataclasses.asdict` of the report plus a version.

    WeeklyReport            one ISO week, one or more sections
      Section               one domain, or one environment and the domain it sends as
        headline            Verdict + one line
        deltas              this week against the week before
        posture             PostureItem per record (SPF, DKIM selector, DMARC, MX, ...)
        changes             DriftChange (before → after) and Approval (who, why)
        canary              CanaryWeek: rates per method, latency, failures, releases, days
        checks              CheckWeek: DNS results counted by status, per day
        alerts              AlertWeek: opened, resolved, firing, silences
        senders             SendersWeek: who sends as the domain, from DMARC aggregate and
                            TLS-RPT reports (None: no domain to report on)
        listings            Listing per blocklist listing of the section's sending paths
        checklist           ChecklistItem per bulk-sender requirement (Gmail, Yahoo, Microsoft)
        fixes               Fix, most severe first, each naming the record or setting
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

__all__ = [
    "AlertLine",
    "AlertWeek",
    "Approval",
    "CanaryDay",
    "CanaryFailure",
    "CanaryWeek",
    "CheckDay",
    "CheckWeek",
    "ChecklistItem",
    "Delta",
    "DriftChange",
    "Fix",
    "Headline",
    "Listing",
    "Mark",
    "PostureItem",
    "ReleaseRun",
    "Section",
    "SendersWeek",
    "Shares",
    "SilenceLine",
    "SourceGroup",
    "SourceLine",
    "TlsWeek",
    "WeeklyReport",
]

REPORT_VERSION = 2
"""2: sections gained `senders` (DMARC aggregate and TLS-RPT figures) and `listings`
(blocklists), the checklist "DMARC passes for authorised sources"."""


class Mark(enum.StrEnum):
    """A verdict on one line of the report."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # could not measure
    UNKNOWN = "unknown"  # no data to judge by


@dataclasses.dataclass(frozen=True, slots=True)
class Headline:
    mark: Mark
    word: str  # HEALTHY, NEEDS ATTENTION, FAILING, NO DATA
    text: str  # one line with the reasons


@dataclasses.dataclass(frozen=True, slots=True)
class Delta:
    """One figure this week and the week before; `better` says which way is good."""

    name: str
    unit: str  # "%", "s", "" (a count)
    current: float | None
    previous: float | None
    better: str  # "up" or "down"

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 2)

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        return (change > 0) == (self.better == "up")


@dataclasses.dataclass(frozen=True, slots=True)
class PostureItem:
    name: str  # "SPF", "DKIM s1", "DMARC", "MX", "MTA-STS", "TLS-RPT", "Relay TLS"
    mark: Mark
    summary: str  # "8 of 10 lookups", "rsa 2048 bits", "p=reject pct=100 rua=..."
    warnings: tuple[str, ...]
    checked_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class DriftChange:
    check: str
    key: str
    before: object
    after: object
    direction: str
    severity: str
    first_seen: dt.datetime
    sightings: int


@dataclasses.dataclass(frozen=True, slots=True)
class Approval:
    check: str
    approved_at: dt.datetime
    approved_by: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class CanaryDay:
    day: dt.date
    sent: int
    judged: int
    spf: float | None  # pass rate 0..100, None without judged canaries
    dkim: float | None
    dmarc: float | None
    aligned: float | None
    latency_p50: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class CanaryFailure:
    at: dt.datetime
    status: str
    code: str
    step: str
    message: str


@dataclasses.dataclass(frozen=True, slots=True)
class ReleaseRun:
    release: str
    sent: int
    passed: int
    first_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class CanaryWeek:
    sent: int
    judged: int
    passed: int  # results with status pass
    rates: dict[str, float | None]  # spf, dkim, dmarc, aligned, tls -> pass rate 0..100
    latency_p50: float | None
    latency_p95: float | None
    latency_max: float | None
    failures: tuple[CanaryFailure, ...]
    releases: tuple[ReleaseRun, ...]
    days: tuple[CanaryDay, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class CheckDay:
    day: dt.date
    runs: int
    passed: int
    warned: int
    failed: int
    errored: int


@dataclasses.dataclass(frozen=True, slots=True)
class CheckWeek:
    runs: int
    passed: int
    warned: int
    failed: int
    errored: int
    days: tuple[CheckDay, ...]

    @property
    def pass_rate(self) -> float | None:
        return _rate(self.passed, self.runs)


@dataclasses.dataclass(frozen=True, slots=True)
class AlertLine:
    key: str
    severity: str
    summary: str
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None
    state: str

    @property
    def time_to_resolve_s(self) -> float | None:
        if self.fired_at is None or self.resolved_at is None:
            return None
        return (self.resolved_at - self.fired_at).total_seconds()


@dataclasses.dataclass(frozen=True, slots=True)
class SilenceLine:
    matches: str
    reason: str
    created_by: str
    ends_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class AlertWeek:
    opened: tuple[AlertLine, ...]
    resolved: tuple[AlertLine, ...]
    firing: tuple[AlertLine, ...]
    silences: tuple[SilenceLine, ...]

    @property
    def mean_time_to_resolve_s(self) -> float | None:
        times = [t for a in self.resolved if (t := a.time_to_resolve_s) is not None]
        return sum(times) / len(times) if times else None


@dataclasses.dataclass(frozen=True, slots=True)
class ChecklistItem:
    requirement: str
    providers: tuple[str, ...]  # "Gmail", "Yahoo", "Microsoft"
    mark: Mark
    evidence: str
    links: tuple[tuple[str, str], ...]  # (provider, URL of its published requirements)


@dataclasses.dataclass(frozen=True, slots=True)
class Fix:
    severity: str  # critical, warning, info
    title: str
    change: str  # the exact record or setting to change
    where: str  # the DNS name, relay or config key


@dataclasses.dataclass(frozen=True, slots=True)
class Shares:
    """Messages and the percentage (0..100, one decimal) that passed DMARC or aligned."""

    messages: int
    dmarc_pass: float | None
    spf_aligned: float | None
    dkim_aligned: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class SourceLine:
    """One source sending as the domain (a configured sender, a reverse-DNS organisation or
    an IP), or with `others` > 0 the sum of the sources not listed one by one."""

    source: str
    authorised: bool
    via: str  # sender | spf | none ("" for the sum of others)
    status: str  # passing | not_aligning | failing ("" for the sum of others)
    new: bool
    shares: Shares
    ips: tuple[str, ...]  # at most IPS_SHOWN
    ip_count: int
    names: tuple[str, ...]  # reverse names, at most IPS_SHOWN
    others: int = 0


IPS_SHOWN = 5


@dataclasses.dataclass(frozen=True, slots=True)
class SourceGroup:
    """Sources of one kind (new, failing, not aligning): how many, their messages, and the
    largest ones."""

    count: int
    messages: int
    sources: tuple[SourceLine, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class TlsWeek:
    """SMTP TLS sessions to the domain reported by senders (TLS-RPT)."""

    successful: int
    failed: int
    by_type: dict[str, int]  # result type -> failed sessions, most first


@dataclasses.dataclass(frozen=True, slots=True)
class SendersWeek:
    """Who sends as the domain this week, from the receivers' DMARC aggregate reports.

    `note` says why there are no figures ("no DMARC aggregate reports received for ... in
    ..."); the figures are then zero and the groups empty."""

    domain: str
    reports: int
    reporters: dict[str, int]  # receiver -> messages it reported, most first
    all: Shares
    authorised: Shares  # only sources authorised by a configured sender or the SPF record
    sources: tuple[SourceLine, ...]  # the largest, then one line summing the rest
    source_count: int
    new: SourceGroup
    failing: SourceGroup  # unauthorised and failing DMARC
    not_aligning: SourceGroup  # authorised, but failing DMARC
    tls: TlsWeek
    note: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Listing:
    """A sending IP or domain of an environment on a blocklist, from the blocklists check."""

    environment: str
    target: str
    kind: str  # ip | domain
    list: str
    zone: str
    meanings: tuple[str, ...]
    reason: str  # the list's TXT answer
    delist_url: str
    standing: bool  # already listed when the baseline was taken (else new)
    checked_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    domain: str
    environment: str | None
    headline: Headline
    has_data: bool
    deltas: tuple[Delta, ...]
    posture: tuple[PostureItem, ...]
    drifts: tuple[DriftChange, ...]
    approvals: tuple[Approval, ...]
    canary: CanaryWeek | None  # None: no canary configured for this section
    checks: CheckWeek
    alerts: AlertWeek
    checklist: tuple[ChecklistItem, ...]
    fixes: tuple[Fix, ...]
    senders: SendersWeek | None = None
    listings: tuple[Listing, ...] = ()

    @property
    def title(self) -> str:
        if self.environment is None:
            return self.domain
        return f"{self.environment} ({self.domain})"

    @property
    def anchor(self) -> str:
        return f"{self.environment or 'domain'}-{self.domain}".replace(".", "-")


@dataclasses.dataclass(frozen=True, slots=True)
class WeeklyReport:
    week: str  # ISO week, "2026-W47"
    starts: dt.datetime  # Monday 00:00 UTC
    ends: dt.datetime  # the next Monday 00:00 UTC (exclusive)
    generated_at: dt.datetime
    sections: tuple[Section, ...]
    scope: str  # "all", "env production", "domain example.test", ...

    @property
    def headline(self) -> Headline:
        """The worst section's verdict, counted over all sections."""
        if not self.sections:
            return Headline(Mark.UNKNOWN, "NO DATA", f"no data for {self.scope} in {self.week}")
        order = [Mark.FAIL, Mark.ERROR, Mark.WARN, Mark.UNKNOWN, Mark.PASS]
        worst = min((s.headline.mark for s in self.sections), key=order.index)
        failing = sum(s.headline.mark is Mark.FAIL for s in self.sections)
        warning = sum(s.headline.mark in (Mark.WARN, Mark.ERROR) for s in self.sections)
        empty = sum(not s.has_data for s in self.sections)
        parts = [f"{len(self.sections)} sections"]
        parts += [f"{failing} failing"] if failing else []
        parts += [f"{warning} need attention"] if warning else []
        parts += [f"{empty} without data"] if empty else []
        word = next(s.headline.word for s in self.sections if s.headline.mark is worst)
        if len(self.sections) == 1:
            return self.sections[0].headline
        return Headline(worst, word, ", ".join(parts))


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None when there is nothing to divide by."""
    return _rate(part, whole)
