"""A section's verdicts: its week-over-week deltas and its one-line headline (pure).

The headline is FAILING when a record fails, a bulk-sender requirement fails or a critical
alert fires; NEEDS ATTENTION when anything warns, a canary method passed less than 100 %,
an alert fires or something is left to fix (a fix of severity info, such as a known
spoofer, is listed but needs no attention); HEALTHY otherwise; NO DATA when nothing was
stored for the section before the week ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from monitor.policy.weekly_model import (
    AlertWeek,
    CanaryWeek,
    ChecklistItem,
    CheckWeek,
    Delta,
    Fix,
    Headline,
    Mark,
    PostureItem,
)

__all__ = ["deltas", "headline"]


class Scope(Protocol):
    """What the headline needs to know of a section's spec."""

    @property
    def domain(self) -> str: ...

    @property
    def environment(self) -> str | None: ...


def deltas(
    *,
    checks: tuple[CheckWeek, CheckWeek],
    canary: tuple[CanaryWeek | None, CanaryWeek | None],
    alerts: tuple[AlertWeek, AlertWeek],
    drifts: tuple[int, int],
) -> tuple[Delta, ...]:
    """This week against the week before, each pair (this, previous)."""
    now_c, prev_c = checks
    out = [Delta("DNS checks passing", "%", now_c.pass_rate, prev_c.pass_rate, "up")]
    now_k, prev_k = canary
    if now_k is not None and prev_k is not None:
        out += [
            Delta("Canaries passing DMARC", "%", now_k.rates["dmarc"], prev_k.rates["dmarc"], "up"),
            Delta("Delivery latency p95", "s", now_k.latency_p95, prev_k.latency_p95, "down"),
        ]
    out += [
        Delta("Alerts opened", "", len(alerts[0].opened), len(alerts[1].opened), "down"),
        Delta("Changes (drift)", "", drifts[0], drifts[1], "down"),
    ]
    return tuple(out)


def headline(
    *,
    spec: Scope,
    week: dt.datetime,
    has_data: bool,
    lines: Sequence[PostureItem],
    items: Sequence[ChecklistItem],
    canary: CanaryWeek | None,
    alerts: AlertWeek,
    checks: CheckWeek,
    todo: Sequence[Fix],
) -> Headline:
    title = spec.domain if spec.environment is None else f"{spec.environment} ({spec.domain})"
    iso = week.isocalendar()
    label = f"{iso.year}-W{iso.week:02d}"
    if not has_data:
        return Headline(
            Mark.UNKNOWN, "NO DATA", f"no data for {title} in {label}: nothing was checked yet"
        )
    failing = [p.name for p in lines if p.mark is Mark.FAIL]
    warning = [p.name for p in lines if p.mark in (Mark.WARN, Mark.ERROR)]
    list_fail = [i.requirement for i in items if i.mark is Mark.FAIL]
    reasons = [f"{n} failing" for n in failing]
    if canary is not None and canary.judged:
        for method in ("spf", "dkim", "dmarc"):
            value = canary.rates[method]
            if value is not None and value < 100:
                reasons.append(f"canary {method.upper()} passed {value:g}%")
    elif canary is not None:
        reasons.append("no canary judged this week")
    reasons += [
        f"bulk-sender: {r}" for r in list_fail if not any(r.startswith(x) for x in ("SPF", "DKIM"))
    ]
    if alerts.firing:
        reasons.append(f"{len(alerts.firing)} alert{'s' if len(alerts.firing) != 1 else ''} firing")
    reasons += [f"{n} warns" for n in warning]
    todo = [f for f in todo if f.severity != "info"]  # info: for the record, not attention
    if failing or list_fail or any(a.severity == "critical" for a in alerts.firing):
        mark, word = Mark.FAIL, "FAILING"
    elif reasons or todo:
        mark, word = Mark.WARN, "NEEDS ATTENTION"
        if not reasons:
            reasons.append(f"{len(todo)} thing{'s' if len(todo) != 1 else ''} to fix")
    else:
        mark, word = Mark.PASS, "HEALTHY"
        reasons.append(f"{checks.passed} of {checks.runs} DNS checks passed")
        if canary is not None and canary.judged:
            reasons.append(f"{canary.judged} canaries authenticated")
    return Headline(mark, word, "; ".join(reasons))
