"""HTML pages the daemon serves: server-rendered, readable on a phone, no script.

Templates live beside this module (`templates/*.html.j2`, shipped as package data) and are
rendered with autoescaping on: every value on a page came from DNS, a mail header or a
config file, and none of it may become markup.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import jinja2

from monitor.daemon.contracts import JobState
from monitor.services.overview import Overview

__all__ = ["render_overview"]


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.render.pages", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    return env


def render_overview(
    page: Overview, jobs: Sequence[JobState], *, latest_report: str | None = None
) -> str:
    """The overview at `/`: posture, firing alerts, silences, last runs, next jobs.

    Args:
        latest_report: the URL of the newest weekly report, when there is one.
    """
    template = _environment().get_template("overview.html.j2")
    return template.render(
        page=page,
        jobs=sorted(jobs, key=lambda j: (j.next_run is None, j.next_run or page.generated_at)),
        now=page.generated_at,
        latest_report=latest_report,
    )


def _when(value: dt.datetime | None) -> str:
    """UTC, to the minute: the same on every reader's screen."""
    if value is None:
        return "—"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ago(value: dt.datetime | None, now: dt.datetime) -> str:
    """ "5 min ago" / "in 3 h": how on-call reads time at a glance."""
    if value is None:
        return "—"
    seconds = (now - value).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            break
    else:
        amount = f"{int(seconds)} s"
    return f"in {amount}" if future else f"{amount} ago"
