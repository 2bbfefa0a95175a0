"""Pure: report figures → alert sightings, for the same lifecycle, routing and outbox as checks.

Every watched domain is one `Measurement` of (domain, "reports"), so a report problem that
is no longer sighted resolves. The rules, each over the last `lookback_days`:

1. `reports.unauthorised_source:<group>` (warning): an unauthorised source sent more than
   `failing_source_daily` messages failing DMARC on one UTC day (spoofing, or a service
   someone set up without telling anyone). One problem per source group, so a new one
   pages once and a known one does not page again while it lasts.
2. `reports.authorised_pass_share` (warning): the DMARC pass share of authorised sources,
   over at least `authorised_min_messages` messages, fell below `authorised_pass_share`.
3. `reports.reporter_silent:<reporter>` (warning): a large reporter (at least
   `large_reporter_messages` messages in 30 days) sent nothing for `silent_reporter_days`
   while other reporters still show mail flowing: reporting broke somewhere.
4. `reports.tls_failures` (warning): more than `tls_failures_daily` failed TLS sessions on
   one UTC day, by result type in the evidence.

Problem codes hold no `/` (a problem key is written `scope/check/code`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from alerts.event import ProblemKey, Sighting
from alerts.lifecycle import Measurement, RunObservation
from checks.reports.facts import RecordFact, ReporterActivity, TlsFact
from checks.reports.senders import Source
from checks.result import Severity

__all__ = ["CHECK", "KIND", "ReportRules", "observe_reports"]

CHECK = "reports"
KIND = "reports"


@dataclasses.dataclass(frozen=True, slots=True)
class ReportRules:
    """Thresholds (from `[reports.alerts]`)."""

    failing_source_daily: int = 10
    authorised_pass_share: float = 0.9
    authorised_min_messages: int = 100
    silent_reporter_days: int = 3
    large_reporter_messages: int = 1000
    tls_failures_daily: int = 10
    lookback_days: int = 3


def observe_reports(
    domains: Iterable[str],
    *,
    records: Iterable[RecordFact],
    sources: Mapping[tuple[str, str], Source],
    reporters: Iterable[ReporterActivity],
    tls: Iterable[TlsFact],
    rules: ReportRules,
    now: dt.datetime,
) -> RunObservation:
    """The sightings of the report rules, as of `now` (records and TLS facts already
    limited to the lookback window, reporters to the last 30 days)."""
    watched = sorted(set(domains))
    records = list(records)
    found: list[Sighting] = []
    found += _unauthorised(records, sources, rules)
    found += _pass_share(records, sources, rules)
    found += _silent(reporters, rules, now)
    found += _tls(tls, rules)
    measured = tuple(Measurement(d, CHECK, False) for d in watched)
    wanted = set(watched)
    return RunObservation(measured, tuple(s for s in found if s.key.scope in wanted))


def _unauthorised(
    records: list[RecordFact], sources: Mapping[tuple[str, str], Source], rules: ReportRules
) -> list[Sighting]:
    daily: dict[tuple[str, str, dt.date], int] = {}
    ips: dict[tuple[str, str], set[str]] = {}
    for fact in records:
        source = sources[(fact.domain, fact.source_ip)]
        if source.authorised or fact.dmarc_pass:
            continue
        key = (fact.domain, source.group, fact.begin.date())
        daily[key] = daily.get(key, 0) + fact.count
        ips.setdefault((fact.domain, source.group), set()).add(fact.source_ip)
    worst: dict[tuple[str, str], tuple[int, dt.date]] = {}
    for (domain, group, day), count in daily.items():
        if count > rules.failing_source_daily and count > worst.get((domain, group), (0,))[0]:
            worst[(domain, group)] = (count, day)
    out = []
    for (domain, group), (count, day) in sorted(worst.items()):
        summary = (
            f"{group} sent {count} messages as {domain} on {day.isoformat()} that failed "
            "DMARC; it is no authorised sender (spoofing, or a service nobody configured)"
        )
        evidence = {"source": group, "ips": sorted(ips[(domain, group)])[:20], "day": str(day)}
        out.append(_sighting(domain, f"reports.unauthorised_source:{group}", summary, evidence))
    return out


def _pass_share(
    records: list[RecordFact], sources: Mapping[tuple[str, str], Source], rules: ReportRules
) -> list[Sighting]:
    totals: dict[str, list[int]] = {}
    for fact in records:
        if not sources[(fact.domain, fact.source_ip)].authorised:
            continue
        total = totals.setdefault(fact.domain, [0, 0])
        total[0] += fact.count
        total[1] += fact.count if fact.dmarc_pass else 0
    out = []
    for domain, (messages, passed) in sorted(totals.items()):
        share = passed / messages
        if messages < rules.authorised_min_messages or share >= rules.authorised_pass_share:
            continue
        summary = (
            f"only {share:.0%} of {messages} messages from authorised senders of {domain} "
            f"passed DMARC in the last {rules.lookback_days} days "
            f"(threshold {rules.authorised_pass_share:.0%})"
        )
        evidence = {"messages": messages, "dmarc_pass": passed}
        out.append(_sighting(domain, "reports.authorised_pass_share", summary, evidence))
    return out


def _silent(
    reporters: Iterable[ReporterActivity], rules: ReportRules, now: dt.datetime
) -> list[Sighting]:
    cutoff = now - dt.timedelta(days=rules.silent_reporter_days)
    by_domain: dict[str, list[ReporterActivity]] = {}
    for activity in reporters:
        by_domain.setdefault(activity.domain, []).append(activity)
    out = []
    for domain, activities in sorted(by_domain.items()):
        flowing = any(a.last_end >= cutoff for a in activities)
        for a in activities:
            if not flowing or a.last_end >= cutoff:
                continue
            if a.messages < rules.large_reporter_messages:
                continue
            summary = (
                f"no DMARC report from {a.org_name} for {domain} since "
                f"{a.last_end:%Y-%m-%d %H:%M} UTC while other receivers still report mail"
            )
            evidence = {"reporter": a.org_name, "last_report_end": a.last_end.isoformat()}
            code = f"reports.reporter_silent:{a.org_name}"
            out.append(_sighting(domain, code, summary, evidence))
    return out


def _tls(facts: Iterable[TlsFact], rules: ReportRules) -> list[Sighting]:
    daily: dict[tuple[str, dt.date], int] = {}
    types: dict[str, dict[str, int]] = {}
    for fact in facts:
        if fact.result_type is None:
            key = (fact.domain, fact.begin.date())
            daily[key] = daily.get(key, 0) + fact.failed
        else:
            by_type = types.setdefault(fact.domain, {})
            by_type[fact.result_type] = by_type.get(fact.result_type, 0) + fact.count
    worst: dict[str, tuple[int, dt.date]] = {}
    for (domain, day), failed in daily.items():
        if failed > rules.tls_failures_daily and failed > worst.get(domain, (0,))[0]:
            worst[domain] = (failed, day)
    out = []
    for domain, (failed, day) in sorted(worst.items()):
        by_type = types.get(domain, {})
        detail = ", ".join(f"{t} {n}" for t, n in sorted(by_type.items(), key=lambda kv: -kv[1]))
        summary = f"{failed} SMTP TLS sessions to {domain} failed on {day}" + (
            f" ({detail})" if detail else ""
        )
        evidence = {"failed": failed, "day": str(day), "by_type": dict(sorted(by_type.items()))}
        out.append(_sighting(domain, "reports.tls_failures", summary, evidence))
    return out


def _sighting(domain: str, code: str, summary: str, evidence: Mapping[str, object]) -> Sighting:
    code = code.replace("/", "_")[:200]
    return Sighting(
        key=ProblemKey(domain, CHECK, code),
        kind=KIND,
        severity=Severity.WARNING,
        summary=summary[:500],
        labels={"domain": domain, "environment": "", "check": CHECK, "kind": KIND, "code": code},
        evidence=dict(evidence),
    )
