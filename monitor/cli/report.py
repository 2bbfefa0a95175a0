"""`senderwatch report weekly`: the weekly sender-health report, printed, written or sent.

    report weekly [--week 2026-W47] [--env E] [--domain D]
                  [--format html|email|md|text|json] [--out FILE]
    report weekly --send [--week W] [--channel NAME ...] [--wait 30s]

Without --week: the last full ISO week (UTC). An empty week is a report saying so (exit 0).
--send queues the report of every domain and environment for each configured channel (or
those named) through the outbox, at most once per week and channel, then delivers for at
most --wait. The work is `monitor.services.report`; this module parses options and prints.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli._common import config_option, duration_option, open_app
from monitor.errors import ExitCode, UsageError

__all__ = ["report"]


@click.group("report")
def report() -> None:
    """Reports built from stored results: the weekly sender-health report."""


@report.command("weekly")
@click.option("--week", help="ISO week such as 2026-W47 (default: the last full week, UTC).")
@click.option("--env", "env", help="Only this environment.")
@click.option("--domain", help="Only this domain (its DNS checks and its environments).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "email", "md", "text", "json"]),
    default="text",
    show_default=True,
    help="html: a page with charts; email: HTML for mail clients; md: Slack's Markdown.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@click.option("--send", is_flag=True, help="Queue for the channels and deliver.")
@click.option("--channel", "channels", multiple=True, help="With --send: only this channel.")
@click.option(
    "--wait",
    callback=duration_option,
    help="With --send: deliver for at most this long (default alerts.delivery.wait).",
)
@config_option
def weekly(
    *,
    week: str | None,
    env: str | None,
    domain: str | None,
    fmt: str,
    out: Path | None,
    send: bool,
    channels: tuple[str, ...],
    wait: dt.timedelta | None,
    config_path: Path,
) -> None:
    """Build the weekly sender-health report from stored data."""
    from monitor.services import report as service

    if send and (env or domain or out):
        raise UsageError("--send sends the whole report: drop --env, --domain and --out")
    if channels and not send:
        raise UsageError("--channel goes with --send")
    with open_app(config_path) as app:
        label = service.parse_week(week, app.clock())
        if send:
            outcome = service.send_weekly(
                app,
                label,
                channels=channels or None,
                wait=None if wait is None else wait.total_seconds(),
            )
            _print_sent(outcome)
            return
        text = service.render_weekly(service.build_weekly(app, label, env=env, domain=domain), fmt)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"wrote {out} ({fmt}, week {label})", err=True)


def _print_sent(outcome: Any) -> None:
    from monitor.render.alerts import render_delivery

    for name, notification_id in outcome.queued:
        click.echo(f"report {outcome.week} queued for {name} ({notification_id})")
    for name in outcome.already:
        click.echo(f"report {outcome.week} was already queued for {name}: not sent again")
    for problem in outcome.problems:
        click.echo(f"error: {problem}", err=True)
    if outcome.delivery is not None:
        click.echo(render_delivery(outcome.delivery))
        if outcome.delivery.failed or outcome.delivery.dead:
            raise SystemExit(ExitCode.FAILED)
