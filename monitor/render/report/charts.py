"""Charts of the weekly report: inline SVG for the page, table-cell bars for email.

Both draw the same two pictures from a section's canary days: pass rate per day per method
(SPF, DKIM, DMARC, alignment) and delivery latency (p50) per day; and one bar per source
sending as the domain (volume, split by DMARC pass). The SVG is a few <rect>s
and <text>s with a <title> per bar (a tooltip without script); the email form is data for
nested tables whose cell widths are the bars, which Gmail, Outlook and Apple Mail all show.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markupsafe import Markup

from monitor.policy.weekly_model import CanaryDay

__all__ = [
    "METHODS",
    "latency_bars",
    "latency_svg",
    "rate_bars",
    "rates_svg",
    "source_bar",
    "source_svg",
]

METHODS = (("spf", "SPF"), ("dkim", "DKIM"), ("dmarc", "DMARC"), ("aligned", "Aligned"))
_GOOD, _BAD, _EMPTY, _INK = "#2da44e", "#cf222e", "#d0d7de", "#24292f"


def _color(rate: float | None) -> str:
    if rate is None:
        return _EMPTY
    return _GOOD if rate >= 100 else ("#bf8700" if rate >= 95 else _BAD)


def rates_svg(days: Sequence[CanaryDay]) -> Markup:
    """Pass rate per day (columns) per method (rows), as bars 0..100 %."""
    cell_w, row_h, left, top = 44, 30, 64, 18
    width, height = left + cell_w * len(days) + 4, top + row_h * len(METHODS) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        "<title>Canary pass rate per day and method</title>",
    ]
    for i, day in enumerate(days):
        x = left + i * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x:.0f}" y="12" font-size="10" text-anchor="middle" '
            f'fill="{_INK}">{html.escape(day.day.strftime("%a"))}</text>'
        )
    for row, (key, label) in enumerate(METHODS):
        y = top + row * row_h
        parts.append(
            f'<text x="0" y="{y + 18}" font-size="11" fill="{_INK}">{html.escape(label)}</text>'
        )
        for i, day in enumerate(days):
            value: float | None = getattr(day, key)
            x = left + i * cell_w + 3
            full_h = row_h - 8
            parts.append(
                f'<rect x="{x}" y="{y + 2}" width="{cell_w - 6}" height="{full_h}" '
                f'fill="{_EMPTY}" rx="2"/>'
            )
            if value is not None:
                h = full_h * value / 100
                tip = f"{label} {day.day.isoformat()}: {value:g}% of {day.judged}"
                parts.append(
                    f'<rect class="bar" x="{x}" y="{y + 2 + full_h - h:.1f}" '
                    f'width="{cell_w - 6}" height="{h:.1f}" fill="{_color(value)}" rx="2">'
                    f"<title>{html.escape(tip)}</title></rect>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above


def latency_svg(days: Sequence[CanaryDay]) -> Markup:
    """Median delivery latency per day, as bars scaled to the week's largest."""
    cell_w, left, chart_h, top = 44, 64, 90, 14
    width, height = left + cell_w * len(days) + 4, top + chart_h + 18
    peak = max((d.latency_p50 or 0 for d in days), default=0) or 1.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        "<title>Canary delivery latency (median) per day</title>",
        f'<text x="0" y="{top + 10}" font-size="11" fill="{_INK}">p50</text>',
        f'<line x1="{left}" y1="{top + chart_h}" x2="{width}" y2="{top + chart_h}" '
        f'stroke="{_EMPTY}"/>',
    ]
    for i, day in enumerate(days):
        x = left + i * cell_w + 3
        value = day.latency_p50
        if value is not None:
            h = max(1.0, chart_h * value / peak)
            tip = f"{day.day.isoformat()}: median {value:.1f} s"
            parts.append(
                f'<rect class="bar" x="{x}" y="{top + chart_h - h:.1f}" width="{cell_w - 6}" '
                f'height="{h:.1f}" fill="#0969da" rx="2"><title>{html.escape(tip)}</title></rect>'
                f'<text x="{x + (cell_w - 6) / 2:.0f}" y="{top + chart_h - h - 3:.1f}" '
                f'font-size="9" text-anchor="middle" fill="{_INK}">{value:.1f}</text>'
            )
        parts.append(
            f'<text x="{x + (cell_w - 6) / 2:.0f}" y="{height - 4}" font-size="10" '
            f'text-anchor="middle" fill="{_INK}">{html.escape(day.day.strftime("%a"))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above


def rate_bars(days: Sequence[CanaryDay]) -> list[dict[str, object]]:
    """Email bars: per method, per day, the percentage (0..100) and its colour."""
    return [
        {
            "label": label,
            "days": [
                {
                    "day": d.day.strftime("%a"),
                    "value": getattr(d, key),
                    "width": 0 if getattr(d, key) is None else max(1, round(getattr(d, key))),
                    "color": _color(getattr(d, key)),
                }
                for d in days
            ],
        }
        for key, label in METHODS
    ]


def latency_bars(days: Sequence[CanaryDay]) -> list[dict[str, object]]:
    """Email bars: per day, the median latency and its width as a share of the week's peak."""
    peak = max((d.latency_p50 or 0 for d in days), default=0) or 1.0
    return [
        {
            "day": d.day.strftime("%a %d"),
            "value": d.latency_p50,
            "width": 0 if d.latency_p50 is None else max(1, round(100 * d.latency_p50 / peak)),
        }
        for d in days
    ]


def _source_widths(messages: int, dmarc_pass: float | None, peak: int) -> tuple[int, int]:
    """(pass width, fail width) in percent of the bar: volume against the week's largest
    source, split by its DMARC pass share."""
    total = 0 if peak <= 0 else max(1, round(100 * messages / peak)) if messages else 0
    passed = round(total * (dmarc_pass or 0) / 100)
    return passed, total - passed


def source_svg(messages: int, dmarc_pass: float | None, peak: int) -> Markup:
    """A source's volume as a bar (scaled to the largest source), green for the messages
    that passed DMARC and red for those that failed, with a tooltip."""
    width, height = 120, 12
    passed, failed = _source_widths(messages, dmarc_pass, peak)
    share = "n/a" if dmarc_pass is None else f"{dmarc_pass:g}%"
    tip = html.escape(f"{messages:,} messages, {share} passed DMARC")
    parts = [
        f'<svg class="bar-source" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><title>{tip}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f8fa" rx="2"/>',
    ]
    if passed:
        parts.append(
            f'<rect class="bar" x="0" y="0" width="{passed * width / 100:.1f}" '
            f'height="{height}" fill="{_GOOD}" rx="2"/>'
        )
    if failed:
        parts.append(
            f'<rect class="bar" x="{passed * width / 100:.1f}" y="0" '
            f'width="{failed * width / 100:.1f}" height="{height}" fill="{_BAD}" rx="2"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - the one text part is escaped above


def source_bar(messages: int, dmarc_pass: float | None, peak: int) -> dict[str, int]:
    """Email form of `source_svg`: widths (percent) of the pass, fail and empty cells."""
    passed, failed = _source_widths(messages, dmarc_pass, peak)
    return {"passed": passed, "failed": failed, "rest": 100 - passed - failed}
