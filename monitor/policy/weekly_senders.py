"""The weekly report's "who sends as you" part, from the DMARC report figures (pure).

`senders_week(figures, ...)` turns one domain's `DomainFigures` (monitor.policy.report_figures,
computed in SQL and classified by `monitor.services.dmarc_reports.weekly_figures`) into the
report's `SendersWeek`: volume and shares for all mail and for authorised sources only, the
largest sources one by one and the rest summed, the new, failing and not-aligning sources,
and TLS-RPT failures by type. `sender_fixes` says what to change for each problem source and
each kind of TLS failure, naming the record or setting.

Shares are percentages with one decimal, like every rate of the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor.policy.report_figures import DomainFigures, SourceFigures
from monitor.policy.weekly_model import (
    IPS_SHOWN,
    Fix,
    SendersWeek,
    Shares,
    SourceGroup,
    SourceLine,
    TlsWeek,
    rate,
)

__all__ = ["GROUP_SHOWN", "TOP_SOURCES", "no_reports", "sender_fixes", "senders_week"]

TOP_SOURCES = 8
"""Sources listed one by one; the rest are one summed line."""
GROUP_SHOWN = 10
"""Sources listed per group (new, failing, not aligning); the group keeps its full count."""
FIXES_PER_GROUP = 5
"""Problem sources that get their own "what to fix" item, the largest first."""


def no_reports(domain: str, week: str, *, watched: bool = True) -> SendersWeek:
    """A week without reports for `domain`: zero figures and the sentence that says so."""
    note = (
        f"no DMARC aggregate reports received for {domain} in {week}"
        if watched
        else f"no DMARC aggregate reports are read for {domain}: it is not a [[domains]] entry"
    )
    empty = Shares(0, None, None, None)
    group = SourceGroup(0, 0, ())
    return SendersWeek(domain, 0, {}, empty, empty, (), 0, group, group, group, _tls(None), note)


def senders_week(figures: DomainFigures, week: str) -> SendersWeek:
    """The section's "who sends as you" figures for one domain's week."""
    if figures.messages == 0 and figures.tls.successful + figures.tls.failed == 0:
        return no_reports(figures.domain, week)
    note = None
    if figures.messages == 0:
        note = f"no DMARC aggregate reports received for {figures.domain} in {week}"
    sources = figures.sources
    lines = [_line(s) for s in sources[:TOP_SOURCES]]
    rest = sources[TOP_SOURCES:]
    if rest:
        lines.append(_others(rest))
    authorised = [s for s in sources if s.authorised]
    return SendersWeek(
        domain=figures.domain,
        reports=figures.reports,
        reporters=dict(figures.reporters),
        all=_shares(
            figures.messages, figures.dmarc_pass, figures.spf_aligned, figures.dkim_aligned
        ),
        authorised=_sum(authorised),
        sources=tuple(lines),
        source_count=len(sources),
        new=_group(figures.new_sources),
        failing=_group(figures.failing_sources),
        not_aligning=_group(figures.not_aligning_sources),
        tls=_tls(figures),
        note=note,
    )


def _shares(messages: int, dmarc: int, spf: int, dkim: int) -> Shares:
    return Shares(messages, rate(dmarc, messages), rate(spf, messages), rate(dkim, messages))


def _sum(sources: Iterable[SourceFigures]) -> Shares:
    rows = list(sources)
    return _shares(
        sum(s.messages for s in rows),
        sum(s.dmarc_pass for s in rows),
        sum(s.spf_aligned for s in rows),
        sum(s.dkim_aligned for s in rows),
    )


def _line(source: SourceFigures) -> SourceLine:
    return SourceLine(
        source=source.group,
        authorised=source.authorised,
        via=source.via,
        status=source.status,
        new=source.new,
        shares=_sum([source]),
        ips=source.ips[:IPS_SHOWN],
        ip_count=len(source.ips),
        names=source.names[:IPS_SHOWN],
    )


def _others(rest: Sequence[SourceFigures]) -> SourceLine:
    return SourceLine(
        source=f"{len(rest)} other source{'s' if len(rest) != 1 else ''}",
        authorised=all(s.authorised for s in rest),
        via="",
        status="",
        new=False,
        shares=_sum(rest),
        ips=(),
        ip_count=sum(len(s.ips) for s in rest),
        names=(),
        others=len(rest),
    )


def _group(sources: Sequence[SourceFigures]) -> SourceGroup:
    return SourceGroup(
        len(sources),
        sum(s.messages for s in sources),
        tuple(_line(s) for s in sources[:GROUP_SHOWN]),
    )


def _tls(figures: DomainFigures | None) -> TlsWeek:
    if figures is None:
        return TlsWeek(0, 0, {})
    by_type = sorted(figures.tls.by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    return TlsWeek(figures.tls.successful, figures.tls.failed, dict(by_type))


def _mechanisms(line: SourceLine) -> str:
    mechanisms = [f"ip6:{ip}" if ":" in ip else f"ip4:{ip}" for ip in line.ips[:3]]
    more = f" (and {line.ip_count - 3} more)" if line.ip_count > 3 else ""
    return " ".join(mechanisms) + more


def _failing_fix(line: SourceLine, domain: str, policy: str | None) -> Fix:
    s = line.shares
    new = ", new this week" if line.new else ""
    enforce = (
        "receivers already refuse it (p=reject)"
        if policy == "reject"
        else f"raise p={policy or '?'} to p=quarantine, then p=reject, so receivers refuse it"
    )
    return Fix(
        "warning" if line.new else "info",
        f"{line.source} sent {s.messages:,} messages as {domain} that failed DMARC "
        f"({s.dmarc_pass:g}% passed; not authorised{new})",
        f"if {line.source} sends for you, authorise it: add its SPF include (or "
        f"{_mechanisms(line)}) to the SPF record and have it sign DKIM with d={domain}; if "
        f"not, it is spoofing or a forwarder: {enforce}",
        f"TXT {domain}",
    )


def _not_aligning_fix(line: SourceLine, domain: str) -> Fix:
    """Not aligning means neither SPF nor DKIM passes aligned often enough: DKIM with
    d=<domain> is the fix that survives forwarding; a bounce domain under it aligns SPF."""
    s = line.shares
    how = "authorised by a configured sender" if line.via == "sender" else "authorised by SPF"
    return Fix(
        "warning",
        f"{line.source} is {how} but not aligned with {domain}: {s.dmarc_pass:g}% of "
        f"{s.messages:,} messages passed DMARC (SPF aligned {s.spf_aligned:g}%, DKIM aligned "
        f"{s.dkim_aligned:g}%)",
        f"set up DKIM signing at {line.source} with d={domain} (publish the key or CNAME it "
        f"gives you at <selector>._domainkey.{domain}); for SPF alignment too, set a custom "
        f"bounce (Return-Path) domain under {domain} there",
        f"{line.source} sending settings; TXT <selector>._domainkey.{domain}",
    )


_TLS_CHANGES = {
    "starttls-not-supported": "enable STARTTLS on every MX host",
    "certificate-expired": "renew the MX hosts' TLS certificates",
    "certificate-host-mismatch": "install certificates that name each MX host",
    "certificate-not-trusted": "use certificates that chain to a public CA",
    "validation-failure": "use certificates that chain to a public CA and name each MX host",
    "sts-policy-fetch-error": "serve the MTA-STS policy over HTTPS at https://mta-sts.{d}/"
    ".well-known/mta-sts.txt",
    "sts-policy-invalid": "fix the MTA-STS policy at https://mta-sts.{d}/.well-known/mta-sts.txt",
    "sts-webpki-invalid": "give https://mta-sts.{d} a certificate that chains to a public CA",
    "tlsa-invalid": "republish TLSA records that match the MX hosts' certificates",
    "dnssec-invalid": "fix the DNSSEC chain of the MX hosts' TLSA records",
    "dane-required": "publish TLSA records for the MX hosts, or stop requiring DANE",
}


def _tls_fix(kind: str, count: int, domain: str) -> Fix:
    change = _TLS_CHANGES.get(kind, f"read the TLS-RPT failure details of {kind}")
    return Fix(
        "warning",
        f"{count:,} TLS sessions to {domain} failed this week: {kind}",
        change.format(d=domain),
        f"MX hosts of {domain}",
    )


def sender_fixes(week: SendersWeek | None, policy: str | None) -> tuple[Fix, ...]:
    """What to change for failing and not-aligning sources and TLS failures (`policy`: the
    published DMARC p=, for the advice about spoofing)."""
    if week is None:
        return ()
    out = [_failing_fix(s, week.domain, policy) for s in week.failing.sources[:FIXES_PER_GROUP]]
    out += [_not_aligning_fix(s, week.domain) for s in week.not_aligning.sources[:FIXES_PER_GROUP]]
    out += [_tls_fix(kind, n, week.domain) for kind, n in week.tls.by_type.items() if n]
    return tuple(out)
