"""Renderers of the weekly report: one Jinja2 template per format, shipped in the package.

    render(report, fmt)     fmt: html   standalone page, inline SVG charts, one <style>
                                 email  HTML for mail clients: inline CSS, tables, bars drawn
                                        as table cells (Gmail shows neither inline SVG nor
                                        data: images), no script
                                 md     Markdown in Slack's dialect (*bold*, bullets, no tables)
                                 text   plain text, 78 columns
                                 json   the document (docs/weekly-report.md), `type`
                                        senderwatch.weekly_report, `version` 2
    subject(report)         the one line for an email subject or a Slack header

Templates live in `templates/` (package data). HTML templates autoescape; nothing here reads
the database or prints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from typing import Any

import jinja2
from markupsafe import Markup

from alerts.text import show_value
from monitor.policy.weekly_model import REPORT_VERSION, Mark, WeeklyReport
from monitor.render.report import charts

__all__ = ["document", "render", "subject"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("monitor.render.report", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_TEMPLATES = {
    "html": "weekly.html.j2",
    "email": "weekly.email.html.j2",
    "md": "weekly.mrkdwn.j2",  # Slack calls its Markdown dialect mrkdwn
    "text": "weekly.txt.j2",
}
COLORS = {
    Mark.PASS: "#1a7f37",
    Mark.WARN: "#9a6700",
    Mark.FAIL: "#cf222e",
    Mark.ERROR: "#8250df",
    Mark.UNKNOWN: "#57606a",
}
SYMBOLS = {Mark.PASS: "✓", Mark.WARN: "!", Mark.FAIL: "✗", Mark.ERROR: "?", Mark.UNKNOWN: "-"}


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else value.astimezone(dt.UTC).strftime("%a %d %b %H:%M UTC")


def _day(value: dt.date) -> str:
    return value.strftime("%a %d")


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value:g}%"
    if unit == "s":
        return _seconds(value)
    return f"{value:g}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def _delta(delta: Any) -> str:
    change = delta.change
    if change is None:
        return "no earlier week" if delta.previous is None else "n/a"
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "\u2212"  # a minus sign, not a hyphen
    unit = " pts" if delta.unit == "%" else (" s" if delta.unit == "s" else "")
    return f"{sign}{abs(change):g}{unit}"


def _count(value: int) -> str:
    return f"{value:,}"


STATUS_WORDS = {"passing": "passing", "not_aligning": "not aligning", "failing": "failing"}


def _peak(lines: Any) -> int:
    return max((line.shares.messages for line in lines), default=0)


_ENV.filters.update(
    count=_count,
    status=lambda s: STATUS_WORDS.get(s, s or "(summed)"),
    peak=_peak,
    value=show_value,
    when=_when,
    day=_day,
    num=_num,
    seconds=_seconds,
    delta=_delta,
    mark_color=COLORS.get,
)
_ENV.globals.update(SYMBOLS=SYMBOLS, COLORS=COLORS, Mark=Mark, charts=charts, Markup=Markup)


def subject(report: WeeklyReport) -> str:
    """ "senderwatch weekly 2026-W47: FAILING — ..." clipped to one short line."""
    head = report.headline
    text = f"senderwatch weekly {report.week}: {head.word} — {head.text}"
    return text if len(text) <= 150 else text[:149] + "…"


def render(report: WeeklyReport, fmt: str) -> str:
    """The report as `fmt` (see the module docstring); KeyError for an unknown format."""
    if fmt == "json":
        return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
    template = _ENV.get_template(_TEMPLATES[fmt])
    return template.render(report=report, subject=subject(report), detailed=_detailed(report))


EMAIL_DETAILED = 4
"""Sections an email shows whole; the rest get one summary line each. Gmail clips an HTML
part above about 100 KB, and one section with inline styles is about 30 KB."""


def _detailed(report: WeeklyReport) -> tuple[str, ...]:
    """Anchors of the sections shown whole in email: the worst first, at most EMAIL_DETAILED."""
    if len(report.sections) <= 1:
        return tuple(s.anchor for s in report.sections)
    order = [Mark.FAIL, Mark.ERROR, Mark.WARN]
    needing = [s for s in report.sections if s.has_data and s.headline.mark in order]
    needing.sort(key=lambda s: order.index(s.headline.mark))
    return tuple(s.anchor for s in needing[:EMAIL_DETAILED])


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def document(report: WeeklyReport) -> dict[str, Any]:
    """The JSON document: the report's data, typed and versioned (schema: docs/weekly-report.md)."""
    sections = []
    for section in report.sections:
        data = _plain(dataclasses.asdict(section))
        data["title"] = section.title
        data["checks"]["pass_rate"] = section.checks.pass_rate
        data["alerts"]["mean_time_to_resolve_s"] = section.alerts.mean_time_to_resolve_s
        for line in data["alerts"]["resolved"]:
            line["time_to_resolve_s"] = _ttr(line)
        for delta, raw in zip(data["deltas"], section.deltas, strict=True):
            delta["change"] = raw.change
        sections.append(data)
    head = report.headline
    return {
        "type": "senderwatch.weekly_report",
        "version": REPORT_VERSION,
        "week": report.week,
        "starts": _plain(report.starts),
        "ends": _plain(report.ends),
        "generated_at": _plain(report.generated_at),
        "scope": report.scope,
        "headline": {"mark": head.mark.value, "word": head.word, "text": head.text},
        "sections": sections,
    }


def _ttr(line: dict[str, Any]) -> float | None:
    if not line.get("fired_at") or not line.get("resolved_at"):
        return None
    fired = dt.datetime.fromisoformat(line["fired_at"].replace("Z", "+00:00"))
    resolved = dt.datetime.fromisoformat(line["resolved_at"].replace("Z", "+00:00"))
    return (resolved - fired).total_seconds()
