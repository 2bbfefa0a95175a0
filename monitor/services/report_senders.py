"""The weekly report's "who sends as you" figures, through the DMARC reports service.

One call of `monitor.services.dmarc_reports.weekly_figures` per report (for the one domain
the report covers, or every watched domain): the records of the week are aggregated and
their sources classified there, once, whatever the number of sections and formats. A
domain that is not under `[[domains]]` has no reports (the ingest refuses them), which its
section says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from monitor.app import App
from monitor.policy.weekly_model import SendersWeek
from monitor.policy.weekly_senders import no_reports, senders_week

__all__ = ["senders_by_domain"]


def senders_by_domain(
    app: App, domains: Iterable[str], week_start: dt.datetime, week: str
) -> dict[str, SendersWeek]:
    """Each of `domains` → its `SendersWeek` for the ISO week `week` starting `week_start`."""
    from monitor.services.dmarc_reports import weekly_figures

    wanted = list(dict.fromkeys(domains))
    watched = {d.name for d in app.settings.domains}
    out = {d: no_reports(d, week, watched=False) for d in wanted if d not in watched}
    mine = [d for d in wanted if d in watched]
    if not mine:
        return out
    figures = weekly_figures(app, week_start, domain=mine[0] if len(mine) == 1 else None)
    found = {f.domain: f for f in figures.domains}
    for domain in mine:
        out[domain] = (
            senders_week(found[domain], week) if domain in found else no_reports(domain, week)
        )
    return out
