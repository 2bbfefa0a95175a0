"""Pure: stored report records → who sends as each domain, and how well, over one period.

A *source* is a group of IPs: the configured sender that claims them, else the
organisational domain of their reverse names, else the IP itself. Per source and per domain
the figures are message volume, the DMARC pass share, and the SPF- and DKIM-aligned shares.
Each source gets one status:

    passing        DMARC pass share at least the threshold
    not_aligning   authorised (a configured sender, or the domain's own SPF), but below it
    failing        unauthorised and below it: spoofing, a forwarder, or a forgotten service

and is `new` when no report that began before the period named any of its IPs for the
domain (as far back as reports are kept).
TLS-RPT figures are sessions and failures per result type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Mapping

from checks.reports.facts import ReporterTotals, SourceTotals, TlsFact
from checks.reports.senders import Source

__all__ = ["DomainFigures", "PeriodFigures", "SourceFigures", "TlsFigures", "figures"]

SourceKey = tuple[str, str]  # (domain, source ip)


@dataclasses.dataclass(frozen=True, slots=True)
class SourceFigures:
    """One source sending as one domain in the period."""

    group: str
    authorised: bool
    via: str  # sender | spf | none
    messages: int
    dmarc_pass: int
    spf_aligned: int
    dkim_aligned: int
    ips: tuple[str, ...]
    names: tuple[str, ...]
    status: str  # passing | not_aligning | failing
    new: bool

    @property
    def pass_share(self) -> float:
        return self.dmarc_pass / self.messages if self.messages else 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class TlsFigures:
    """SMTP TLS sessions reported for one domain, failures by result type."""

    successful: int = 0
    failed: int = 0
    by_type: Mapping[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class DomainFigures:
    """One domain over the period."""

    domain: str
    messages: int
    dmarc_pass: int
    spf_aligned: int
    dkim_aligned: int
    reports: int
    reporters: Mapping[str, int]  # reporter → messages it reported
    sources: tuple[SourceFigures, ...]  # most messages first
    tls: TlsFigures

    def share(self, part: int) -> float:
        return part / self.messages if self.messages else 0.0

    @property
    def new_sources(self) -> tuple[SourceFigures, ...]:
        return tuple(s for s in self.sources if s.new)

    @property
    def failing_sources(self) -> tuple[SourceFigures, ...]:
        return tuple(s for s in self.sources if s.status == "failing")

    @property
    def not_aligning_sources(self) -> tuple[SourceFigures, ...]:
        return tuple(s for s in self.sources if s.status == "not_aligning")


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodFigures:
    """Every domain over [start, end)."""

    start: dt.datetime
    end: dt.datetime
    domains: tuple[DomainFigures, ...]


@dataclasses.dataclass
class _Acc:
    messages: int = 0
    dmarc_pass: int = 0
    spf: int = 0
    dkim: int = 0
    ips: dict[str, None] = dataclasses.field(default_factory=dict)
    names: dict[str, None] = dataclasses.field(default_factory=dict)

    def add(self, totals: SourceTotals) -> None:
        self.messages += totals.messages
        self.dmarc_pass += totals.dmarc_pass
        self.spf += totals.spf_aligned
        self.dkim += totals.dkim_aligned
        self.ips[totals.source_ip] = None
        if totals.source_name:
            self.names[totals.source_name] = None


def figures(
    start: dt.datetime,
    end: dt.datetime,
    domains: Iterable[str],
    *,
    totals: Iterable[SourceTotals],
    reporters: Iterable[ReporterTotals],
    sources: Mapping[SourceKey, Source],
    seen_before: Collection[SourceKey],
    tls: Iterable[TlsFact] = (),
    pass_threshold: float = 0.9,
) -> PeriodFigures:
    """The period's figures per domain (domains without reports included, all zero).

    Args:
        totals: per (domain, source IP), its records summed over the period.
        reporters: per (domain, reporter), its reports and messages in the period.
        sources: the classification of every (domain, source IP) among `totals`.
        seen_before: the (domain, source IP) pairs among `totals` that a report beginning
            before the period named already; a source with none of its IPs in it is new.
        pass_threshold: the DMARC pass share at or above which a source is passing.
    """
    by_domain: dict[str, _Acc] = {d: _Acc() for d in domains}
    groups: dict[str, dict[str, tuple[Source, _Acc]]] = {}
    for row in totals:
        by_domain.setdefault(row.domain, _Acc()).add(row)
        source = sources[(row.domain, row.source_ip)]
        of_domain = groups.setdefault(row.domain, {})
        entry = of_domain.get(source.group)
        if entry is None:
            entry = of_domain[source.group] = (source, _Acc())
        entry[1].add(row)
    reports: dict[str, int] = {}
    by_org: dict[str, dict[str, int]] = {}
    for reporter in reporters:
        reports[reporter.domain] = reports.get(reporter.domain, 0) + reporter.reports
        orgs = by_org.setdefault(reporter.domain, {})
        orgs[reporter.org_name] = orgs.get(reporter.org_name, 0) + reporter.messages
    tls_by_domain = _tls(tls)
    out = []
    for domain, acc in sorted(by_domain.items()):
        rows = [
            _source(group, first, g, _is_new(domain, g, seen_before), pass_threshold)
            for group, (first, g) in groups.get(domain, {}).items()
        ]
        rows.sort(key=lambda s: (-s.messages, s.group))
        out.append(
            DomainFigures(
                domain=domain,
                messages=acc.messages,
                dmarc_pass=acc.dmarc_pass,
                spf_aligned=acc.spf,
                dkim_aligned=acc.dkim,
                reports=reports.get(domain, 0),
                reporters=dict(sorted(by_org.get(domain, {}).items(), key=lambda kv: -kv[1])),
                sources=tuple(rows),
                tls=tls_by_domain.get(domain, TlsFigures()),
            )
        )
    return PeriodFigures(start, end, tuple(out))


def _is_new(domain: str, acc: _Acc, seen_before: Collection[SourceKey]) -> bool:
    return not any((domain, ip) in seen_before for ip in acc.ips)


def _source(group: str, source: Source, acc: _Acc, new: bool, threshold: float) -> SourceFigures:
    share = acc.dmarc_pass / acc.messages if acc.messages else 1.0
    status = "not_aligning" if source.authorised else "failing"
    status = "passing" if share >= threshold else status
    return SourceFigures(
        group=group,
        authorised=source.authorised,
        via=source.via,
        messages=acc.messages,
        dmarc_pass=acc.dmarc_pass,
        spf_aligned=acc.spf,
        dkim_aligned=acc.dkim,
        ips=tuple(sorted(acc.ips)),
        names=tuple(sorted(acc.names)),
        status=status,
        new=new,
    )


def _tls(facts: Iterable[TlsFact]) -> dict[str, TlsFigures]:
    sums: dict[str, tuple[int, int, dict[str, int]]] = {}
    for fact in facts:
        ok, failed, by_type = sums.get(fact.domain, (0, 0, {}))
        if fact.result_type is None:
            ok, failed = ok + fact.successful, failed + fact.failed
        else:
            by_type[fact.result_type] = by_type.get(fact.result_type, 0) + fact.count
        sums[fact.domain] = (ok, failed, by_type)
    return {
        d: TlsFigures(ok, failed, dict(sorted(t.items()))) for d, (ok, failed, t) in sums.items()
    }
