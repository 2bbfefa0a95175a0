"""Render report ingests and "who sends as you" figures: text for people, JSON for tools.

The JSON document (`reports sources --format json`), `version` 1:

    {"version": 1, "start": ISO, "end": ISO,
     "domains": [{"domain", "messages", "dmarc_pass_share", "spf_aligned_share",
                  "dkim_aligned_share", "reports", "reporters": {org: messages},
                  "sources": [{"group", "authorised", "via", "messages", "dmarc_pass_share",
                               "spf_aligned_share", "dkim_aligned_share", "status", "new",
                               "ips", "names"}],
                  "tls": {"successful", "failed", "by_type": {result_type: sessions}}}]}
"""

from __future__ import annotations

import json
from typing import Any

from monitor.policy.report_figures import DomainFigures, PeriodFigures, SourceFigures
from monitor.render._text import plural, table
from monitor.storage.dmarc_reports import InputOutcome

__all__ = ["figures_json", "render_figures", "render_ingest"]


def render_ingest(inputs: tuple[InputOutcome, ...]) -> list[str]:
    """One line per input that was not stored cleanly, then the counts."""
    lines = [
        f"rejected {i.origin}: {i.code}: {i.reason}" for i in inputs if i.outcome == "rejected"
    ]
    counts = {
        k: sum(1 for i in inputs if i.outcome == k) for k in ("stored", "duplicate", "rejected")
    }
    reports = sum(i.reports for i in inputs)
    lines.append(
        f"{plural(len(inputs), 'input')}: {counts['stored']} stored "
        f"({plural(reports, 'report')}), {counts['duplicate']} already stored, "
        f"{counts['rejected']} rejected"
    )
    return lines


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def render_figures(period: PeriodFigures) -> list[str]:
    """Per domain: totals, then a table of sources (most messages first)."""
    lines = [f"week of {period.start:%Y-%m-%d} to {period.end:%Y-%m-%d} (UTC, by report start)"]
    for d in period.domains:
        lines.append("")
        lines += _domain_lines(d)
    return lines


def _domain_lines(d: DomainFigures) -> list[str]:
    lines = [
        f"{d.domain}: {plural(d.messages, 'message')} in {plural(d.reports, 'report')} from "
        f"{plural(len(d.reporters), 'receiver')}; DMARC pass {_pct(d.dmarc_pass, d.messages)}, "
        f"SPF aligned {_pct(d.spf_aligned, d.messages)}, "
        f"DKIM aligned {_pct(d.dkim_aligned, d.messages)}"
    ]
    if d.sources:
        rows = [_row(s) for s in d.sources]
        lines += table(["SOURCE", "MESSAGES", "DMARC", "SPF", "DKIM", "STATUS", "IPS"], rows)
    else:
        lines.append("  no aggregate reports in this period")
    if d.tls.successful or d.tls.failed:
        kinds = ", ".join(f"{k} {n}" for k, n in d.tls.by_type.items())
        lines.append(
            f"TLS-RPT: {d.tls.successful} sessions ok, {d.tls.failed} failed"
            + (f" ({kinds})" if kinds else "")
        )
    return lines


def _row(s: SourceFigures) -> list[str]:
    status = s.status.replace("_", " ") + (" (new)" if s.new else "")
    if not s.authorised:
        status += ", unauthorised"
    ips = ", ".join(s.ips[:3]) + (f" +{len(s.ips) - 3}" if len(s.ips) > 3 else "")
    return [
        s.group,
        str(s.messages),
        _pct(s.dmarc_pass, s.messages),
        _pct(s.spf_aligned, s.messages),
        _pct(s.dkim_aligned, s.messages),
        status,
        ips,
    ]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures_json(period: PeriodFigures) -> str:
    doc: dict[str, Any] = {
        "version": 1,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "domains": [
            {
                "domain": d.domain,
                "messages": d.messages,
                "dmarc_pass_share": _share(d.dmarc_pass, d.messages),
                "spf_aligned_share": _share(d.spf_aligned, d.messages),
                "dkim_aligned_share": _share(d.dkim_aligned, d.messages),
                "reports": d.reports,
                "reporters": dict(d.reporters),
                "sources": [
                    {
                        "group": s.group,
                        "authorised": s.authorised,
                        "via": s.via,
                        "messages": s.messages,
                        "dmarc_pass_share": _share(s.dmarc_pass, s.messages),
                        "spf_aligned_share": _share(s.spf_aligned, s.messages),
                        "dkim_aligned_share": _share(s.dkim_aligned, s.messages),
                        "status": s.status,
                        "new": s.new,
                        "ips": list(s.ips),
                        "names": list(s.names),
                    }
                    for s in d.sources
                ],
                "tls": {
                    "successful": d.tls.successful,
                    "failed": d.tls.failed,
                    "by_type": dict(d.tls.by_type),
                },
            }
            for d in period.domains
        ],
    }
    return json.dumps(doc, indent=2)
