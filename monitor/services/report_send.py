"""Sending the weekly report: one outbox row per channel, never two for one (week, channel).

The report is built and rendered once, when it is queued: Slack gets the headline and the
figures (Markdown in Slack's dialect), the webhook the JSON document, email the HTML and
plain text as `multipart/alternative`. The rows then go the way of every notification:
`deliver` drains the outbox now (bounded by `wait`), the daemon's outbox loop otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from alerts.outbox import DispatchReport
from monitor.app import App
from monitor.errors import UsageError

__all__ = ["SendOutcome", "send_weekly"]

_FORMS = {
    "slack": ("subject", "markdown"),
    "webhook": ("document",),
    "email": ("subject", "text", "html"),
}
"""What each channel kind renders; an outbox row stores only its own channel's forms (a
kind not listed gets them all)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SendOutcome:
    """What `send_weekly` did: queued per channel (with the notification id), skipped
    because the week was queued for the channel before, and the delivery attempt."""

    week: str
    queued: tuple[tuple[str, str], ...]
    already: tuple[str, ...]
    delivery: DispatchReport | None
    problems: tuple[str, ...]


def send_weekly(
    app: App,
    week: str,
    *,
    channels: Sequence[str] | None = None,
    deliver: bool = True,
    wait: float | None = None,
) -> SendOutcome:
    """Queue the report of `week` (every domain and environment) for `channels` (default:
    every configured channel), then deliver for at most `wait` seconds.

    Raises:
        UsageError: no channel is configured, or a named one does not exist.
        DatabaseProblem: the database cannot be used.
    """
    from monitor.render.report import document, render, subject
    from monitor.services.report import build_weekly, week_bounds
    from monitor.storage.report_sends import enqueue_report

    week_bounds(week)
    names = _channels(app, channels)
    report = build_weekly(app, week)
    forms = {
        "subject": lambda: subject(report),
        "markdown": lambda: render(report, "md"),
        "text": lambda: render(report, "text"),
        "html": lambda: render(report, "email"),
        "document": lambda: document(report),
    }
    rendered: dict[str, object] = {}
    now = app.alerts_clock()
    queued, already = [], []
    for name in names:
        configured = app.settings.alerts.channel(name)
        kind = configured.kind if configured is not None else ""
        for form in _FORMS.get(kind, tuple(forms)):
            if form not in rendered:
                rendered[form] = forms[form]()
        payload = {form: rendered[form] for form in _FORMS.get(kind, tuple(forms))}
        notification_id = enqueue_report(
            app.database, week=week, channel=name, payload=payload, now=now
        )
        if notification_id is None:
            already.append(name)
        else:
            queued.append((name, notification_id))
    report_out: DispatchReport | None = None
    problems: tuple[str, ...] = ()
    if deliver and queued:
        from monitor.services.alerts import deliver as deliver_outbox

        delivery = deliver_outbox(app, wait=wait)
        report_out, problems = delivery.report, delivery.problems
    return SendOutcome(week, tuple(queued), tuple(already), report_out, tuple(problems))


def _channels(app: App, wanted: Sequence[str] | None) -> list[str]:
    configured = [c.name for c in app.settings.alerts.channels]
    if not configured:
        raise UsageError("no channels configured: add [[alerts.channels]] to send the report")
    if wanted is None:
        return configured
    unknown = [n for n in wanted if n not in configured]
    if unknown:
        raise UsageError(
            f"no channel named {', '.join(unknown)} (channels: {', '.join(configured)})"
        )
    return list(dict.fromkeys(wanted))
