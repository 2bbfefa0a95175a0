"""The weekly sender-health report: built from stored data, rendered, sent through the outbox.

    parse_week(text, now)                       "2026-W47" (or None: the last full week)
    build_weekly(app, week, env=, domain=)      -> WeeklyReport (monitor.policy.weekly_model)
    render_weekly(report, fmt)                  -> str: html | email | md | text | json
    send_weekly(app, week, channels=)           -> SendOutcome: one outbox row per channel,
                                                   never two for one (week, channel)

Weeks are ISO weeks in UTC, Monday 00:00 to the next Monday. A week without data, or a
section without data in it, is a report that says "no data for ..." — never an error.
The daemon's weekly job and its pages call these same functions.
"""

from __future__ import annotations

import datetime as dt
import re

from monitor.app import App
from monitor.errors import UsageError
from monitor.policy.weekly_model import WeeklyReport
from monitor.services.report_build import SectionSpec, build_section, section_specs
from monitor.services.report_send import SendOutcome, send_weekly

__all__ = [
    "FORMATS",
    "SendOutcome",
    "build_weekly",
    "parse_week",
    "render_weekly",
    "send_weekly",
    "week_bounds",
]

FORMATS = ("html", "email", "md", "text", "json")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_bounds(week: str) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 UTC of ISO week `week` and of the week after.

    Raises:
        UsageError: not an ISO week such as 2026-W47.
    """
    match = _WEEK.match(week)
    if match is None:
        raise UsageError(f"not an ISO week such as 2026-W47: {week!r}")
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise UsageError(f"no such ISO week: {week!r}") from None
    start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=7)


def parse_week(text: str | None, now: dt.datetime) -> str:
    """`text` checked, or the last full ISO week before `now` when None.

    Raises:
        UsageError: not an ISO week such as 2026-W47.
    """
    if text is None:
        year, week, _ = (now.astimezone(dt.UTC) - dt.timedelta(days=7)).isocalendar()
        return f"{year}-W{week:02d}"
    week_bounds(text)
    return text


def build_weekly(
    app: App, week: str, *, env: str | None = None, domain: str | None = None
) -> WeeklyReport:
    """Aggregate the stored data of ISO week `week` into a report.

    Args:
        week: "2026-W47".
        env: only this environment's section.
        domain: only the sections of this domain (its DNS checks and its environments).

    Raises:
        UsageError: a bad week, or an environment or domain the config does not name.
        DatabaseProblem: the database cannot be used.
    """
    from monitor.engine.collector import collection_deferred
    from monitor.services.report_senders import senders_by_domain

    start, end = week_bounds(week)
    specs = section_specs(app.settings, env=env, domain=domain)
    scope = _scope(env, domain)
    now = app.clock()
    share = app.settings.reports.alerts.authorised_pass_share
    with collection_deferred():
        senders = senders_by_domain(app, (s.domain for s in specs), start, week)
        with app.database.transaction() as session:
            sections = tuple(
                build_section(
                    session, spec, start, end, now, senders=senders[spec.domain], pass_share=share
                )
                for spec in specs
            )
    return WeeklyReport(week, start, end, now, sections, scope)


def _scope(env: str | None, domain: str | None) -> str:
    parts = ([f"environment {env}"] if env else []) + ([f"domain {domain}"] if domain else [])
    return " and ".join(parts) or "every domain and environment"


def render_weekly(report: WeeklyReport, fmt: str) -> str:
    """The report as `fmt`: html (standalone page), email (HTML for mail clients), md, text,
    json.

    Raises:
        UsageError: an unknown format.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    from monitor.render.report import render

    return render(report, fmt)


__all__ += ["SectionSpec"]
