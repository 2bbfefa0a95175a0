"""Assembling one report section from the database (monitor.storage.report_queries).

Which stored keys a section reads, as (subject, environment):

    domain D (its [[domains]] entry)     DNS results of the daemon's dns job: (D, none)
    environment E sending as domain D    its own DNS results (D, E), falling back to (D, none)
                                         for a check it has none of; the relay (E, E);
                                         canaries (E, E); blocklists (E, E)
    domain D                             also the blocklists results (E, E) of each
                                         environment sending as D

The DMARC report figures ("who sends as you") come in ready-made (`SendersWeek`, from
monitor.services.report_senders, one service call per report).

Counting is done in SQL; percentiles of the week's canary latencies (nearest rank) here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence

from sqlalchemy.orm import Session

from checks.registry import CHECKS
from checks.result import CheckResult
from monitor.config.settings import Settings
from monitor.errors import UsageError
from monitor.policy import weekly_blocklists as bl
from monitor.policy.bulk_senders import checklist
from monitor.policy.weekly_model import (
    AlertLine,
    AlertWeek,
    Approval,
    CanaryDay,
    CanaryFailure,
    CanaryWeek,
    CheckDay,
    CheckWeek,
    DriftChange,
    ReleaseRun,
    Section,
    SendersWeek,
    SilenceLine,
    rate,
)
from monitor.policy.weekly_posture import SEVERITY_RANK, fixes, posture
from monitor.policy.weekly_senders import sender_fixes
from monitor.policy.weekly_verdict import deltas, headline
from monitor.storage import report_queries as q

__all__ = ["SectionSpec", "build_section", "percentile", "section_specs"]

METHODS = ("spf", "dkim", "dmarc", "aligned", "tls")
POSTURE_CHECKS = tuple(sorted({i.split(".", 1)[-1] for i in CHECKS}))
"""Result check ids of every registered check ("dns.spf" stores "spf"); the canary apart."""


@dataclasses.dataclass(frozen=True, slots=True)
class SectionSpec:
    """What one section covers, from the config."""

    domain: str
    environment: str | None
    has_canary: bool
    list_unsubscribe: str | None
    alert_scopes: tuple[str, ...]
    environments: tuple[str, ...] = ()  # whose blocklists results the section shows


def section_specs(
    settings: Settings, *, env: str | None = None, domain: str | None = None
) -> list[SectionSpec]:
    """The sections of a report over `settings`, narrowed to `env` and/or `domain`.

    Raises:
        UsageError: `env` or `domain` is not in the config.
    """
    if env is not None and env not in settings.environments:
        known = ", ".join(sorted(settings.environments)) or "none configured"
        raise UsageError(f"no environment named {env!r} (environments: {known})")
    named = {d.name for d in settings.domains} | {e.domain for e in settings.environments.values()}
    if domain is not None and domain not in named:
        raise UsageError(
            f"no domain {domain!r} in the config (domains: {', '.join(sorted(named))})"
        )
    specs: list[SectionSpec] = []
    if env is None:
        for d in settings.domains:
            if domain in (None, d.name):
                mine = tuple(
                    sorted(n for n, e in settings.environments.items() if e.domain == d.name)
                )
                specs.append(SectionSpec(d.name, None, False, None, (d.name,), mine))
    own = {d.name for d in settings.domains}
    for name, e in sorted(settings.environments.items()):
        if env not in (None, name) or domain not in (None, e.domain):
            continue
        scopes = (name,) if e.domain in own and env is None else (name, e.domain)
        has_canary = e.inbox is not None and e.sending_path is not None
        specs.append(SectionSpec(e.domain, name, has_canary, e.list_unsubscribe, scopes, (name,)))
    return specs


def percentile(values: Sequence[float], q_: float) -> float | None:
    """Nearest-rank percentile (`q_` in 0..1) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q_ * len(ordered)) - 1)], 3)


def _latest(session: Session, spec: SectionSpec, end: dt.datetime) -> dict[str, CheckResult]:
    keys: list[q.Key] = [(spec.domain, None)]
    if spec.environment is not None:
        keys += [(spec.domain, spec.environment), (spec.environment, spec.environment)]
    found = q.latest_before(session, keys, POSTURE_CHECKS, end)
    latest: dict[str, CheckResult] = {}
    for (check, _subject, environment), item in sorted(
        found.items(), key=lambda kv: kv[0][2] is not None
    ):
        if check != "canary":
            latest[check] = item.result  # environment-level rows sort last and win
        del environment
    return latest


def _own_keys(spec: SectionSpec) -> list[q.Key]:
    if spec.environment is None:
        return [(spec.domain, None)]
    return [(spec.domain, spec.environment), (spec.environment, spec.environment)]


def _checks(session: Session, spec: SectionSpec, start: dt.datetime, end: dt.datetime) -> CheckWeek:
    """DNS and relay results of the week, counted per day. An environment counts its own
    DNS results, or its domain's when it stored none that week, plus its relay probe."""
    days = _days(start)
    first, stop = days[0], days[-1] + dt.timedelta(days=1)
    if spec.environment is None:
        totals = q.day_totals(session, [(spec.domain, None)], None, first, stop)
    else:
        env = spec.environment
        totals = q.day_totals(session, [(spec.domain, env)], None, first, stop)
        if not totals:
            totals = q.day_totals(session, [(spec.domain, None)], None, first, stop)
        relay = q.day_totals(session, [(env, env)], None, first, stop, exclude=("canary",))
        for day, counts in relay.items():
            into = totals.setdefault(day, dict.fromkeys(counts, 0))
            for name, value in counts.items():
                into[name] = into.get(name, 0) + value
    rows = tuple(_check_day(d, totals.get(d, {})) for d in days)
    return CheckWeek(
        runs=sum(r.runs for r in rows),
        passed=sum(r.passed for r in rows),
        warned=sum(r.warned for r in rows),
        failed=sum(r.failed for r in rows),
        errored=sum(r.errored for r in rows),
        days=rows,
    )


def _check_day(day: dt.date, t: dict[str, int]) -> CheckDay:
    return CheckDay(
        day,
        runs=t.get("runs", 0),
        passed=t.get("passed", 0),
        warned=t.get("warned", 0),
        failed=t.get("failed", 0),
        errored=t.get("errored", 0),
    )


def _days(start: dt.datetime) -> list[dt.date]:
    return [(start + dt.timedelta(days=i)).date() for i in range(7)]


def _canary(
    session: Session,
    spec: SectionSpec,
    start: dt.datetime,
    end: dt.datetime,
    *,
    details: bool = True,
) -> CanaryWeek | None:
    """The week's canaries; without `details` (the week before, for deltas only) no
    failures or releases are read."""
    env = spec.environment
    if env is None:
        return None
    days = _days(start)
    totals = q.day_totals(
        session, [(env, env)], ("canary",), days[0], days[-1] + dt.timedelta(days=1)
    )
    latencies = q.canary_latencies(session, env, start, end)
    by_day: dict[dt.date, list[float]] = {}
    for sent, took in latencies:
        by_day.setdefault(sent.astimezone(dt.UTC).date(), []).append(took)
    day_rows = []
    for d in days:
        t = totals.get(d, {})
        judged = t.get("judged", 0)
        day_rows.append(
            CanaryDay(
                d,
                sent=t.get("runs", 0),
                judged=judged,
                spf=rate(t.get("spf_pass", 0), judged),
                dkim=rate(t.get("dkim_pass", 0), judged),
                dmarc=rate(t.get("dmarc_pass", 0), judged),
                aligned=rate(t.get("aligned", 0), judged),
                latency_p50=percentile(by_day.get(d, []), 0.5),
            )
        )
    sums = {
        k: sum(t.get(k, 0) for t in totals.values())
        for k in (
            "runs",
            "passed",
            "judged",
            "spf_pass",
            "dkim_pass",
            "dmarc_pass",
            "aligned",
            "tls",
        )
    }
    judged = sums["judged"]
    rates = {
        "spf": rate(sums["spf_pass"], judged),
        "dkim": rate(sums["dkim_pass"], judged),
        "dmarc": rate(sums["dmarc_pass"], judged),
        "aligned": rate(sums["aligned"], judged),
        "tls": rate(sums["tls"], judged),
    }
    seconds = [s for _, s in latencies]
    return CanaryWeek(
        sent=sums["runs"],
        judged=judged,
        passed=sums["passed"],
        rates=rates,
        latency_p50=percentile(seconds, 0.5),
        latency_p95=percentile(seconds, 0.95),
        latency_max=round(max(seconds), 3) if seconds else None,
        failures=tuple(_failure(*row) for row in q.canary_failures(session, env, start, end))
        if details
        else (),
        releases=tuple(ReleaseRun(*row) for row in q.canary_releases(session, env, start, end))
        if details
        else (),
        days=tuple(day_rows),
    )


_STEPS = {
    "canary.not_delivered": "delivery",
    "canary.inbox_error": "inbox",
    "canary.send_failed": "send",
    "canary.send_refused": "send",
}


def _failure(at: dt.datetime, status: str, findings: list[dict[str, object]]) -> CanaryFailure:
    worst = next((f for f in findings if f.get("severity") == "critical"), None) or (
        findings[0] if findings else {}
    )
    code = str(worst.get("code", "unknown"))
    details = worst.get("details") or {}
    step = details.get("step") if isinstance(details, dict) else None
    step = step or _STEPS.get(code, "authentication")
    return CanaryFailure(at, status, code, str(step), str(worst.get("message", "")))


def _alerts(
    session: Session,
    spec: SectionSpec,
    start: dt.datetime,
    end: dt.datetime,
    *,
    details: bool = True,
) -> AlertWeek:
    """Alerts of the week; without `details` (the week before) no silences are read."""
    rows = q.alert_rows(session, spec.alert_scopes, start, end)
    lines = [
        AlertLine(
            r["key"], r["severity"], r["summary"], r["fired_at"], r["resolved_at"], r["state"]
        )
        for r in rows
    ]
    opened = tuple(a for a in lines if a.fired_at is not None and start <= a.fired_at < end)
    resolved = tuple(
        a
        for a in lines
        if a.resolved_at is not None and start <= a.resolved_at < end and a.state == "resolved"
    )
    firing = tuple(a for a in lines if a.state == "firing")
    if not details:
        return AlertWeek(opened, resolved, firing, ())
    silences = tuple(
        SilenceLine(
            s["match_key"] or s["match_domain"] or s["match_environment"] or "?",
            s["reason"],
            s["created_by"],
            s["ends_at"],
        )
        for s in q.silences_at(session, spec.domain, spec.environment, min(end, _now_cap(end)))
    )
    return AlertWeek(opened, resolved, firing, silences)


def _now_cap(end: dt.datetime) -> dt.datetime:
    return end - dt.timedelta(microseconds=1)


def _blocklists(session: Session, spec: SectionSpec, end: dt.datetime) -> list[bl.EnvBlocklists]:
    """The newest blocklists result (any status) of each environment of the section, with
    the baseline in force at the week's end (which tells standing listings from new)."""
    keys: list[q.Key] = [(env, env) for env in spec.environments]
    found = q.newest_before(session, keys, "blocklists", end)
    return [
        bl.EnvBlocklists(
            key[0], item.result, q.baseline_observations(session, "blocklists", key, end)
        )
        for key, item in sorted(found.items(), key=lambda kv: kv[0][0])
    ]


def build_section(
    session: Session,
    spec: SectionSpec,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    *,
    senders: SendersWeek | None = None,
    pass_share: float = 0.9,
) -> Section:
    """One section of the report for the week [start, end); `senders` its domain's DMARC
    report figures, `pass_share` the share (0..1) at which authorised mail passes."""
    latest = _latest(session, spec, end)
    blocklists = _blocklists(session, spec, end)
    checks = _checks(session, spec, start, end)
    canary = _canary(session, spec, start, end)
    alerts = _alerts(session, spec, start, end)
    keys = _own_keys(spec)
    drifts = tuple(DriftChange(*row) for row in q.drifts(session, keys, start, end))
    approvals = tuple(Approval(*row) for row in q.approvals(session, keys, start, end))
    items = checklist(
        latest,
        canary,
        list_unsubscribe=spec.list_unsubscribe,
        has_canary=spec.has_canary,
        senders=senders,
        blocklists=blocklists,
        pass_share=pass_share,
    )
    prev_start = start - dt.timedelta(days=7)
    prev_checks = _checks(session, spec, prev_start, start)
    prev_canary = _canary(session, spec, prev_start, start, details=False)
    prev_alerts = _alerts(session, spec, prev_start, start, details=False)
    prev_drifts = q.drifts(session, keys, prev_start, start)
    week_deltas = deltas(
        checks=(checks, prev_checks),
        canary=(canary, prev_canary),
        alerts=(alerts, prev_alerts),
        drifts=(len(drifts), len(prev_drifts)),
    )
    has_data = (
        bool(latest)
        or bool(blocklists)
        or checks.runs > 0
        or (canary is not None and canary.sent > 0)
        or (senders is not None and senders.note is None)
    )
    lines = posture(latest) + bl.posture_lines(blocklists)
    policy = latest["dmarc"].observations.get("dmarc.p") if "dmarc" in latest else None
    todo = tuple(
        sorted(
            fixes(latest, spec.domain, spec.environment)
            + bl.fixes(blocklists)
            + sender_fixes(senders, None if policy is None else str(policy)),
            key=lambda f: SEVERITY_RANK.get(f.severity, 3),
        )
    )
    head = headline(
        spec=spec,
        week=start,
        has_data=has_data,
        lines=lines,
        items=items,
        canary=canary,
        alerts=alerts,
        checks=checks,
        todo=todo,
    )
    return Section(
        domain=spec.domain,
        environment=spec.environment,
        headline=head,
        has_data=has_data,
        deltas=week_deltas,
        posture=lines if has_data else (),
        drifts=drifts,
        approvals=approvals,
        canary=canary,
        checks=checks,
        alerts=alerts,
        checklist=items,
        fixes=todo,
        senders=senders,
        listings=bl.listings(blocklists),
    )
