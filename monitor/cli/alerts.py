"""`senderwatch alerts`: see, silence, acknowledge, test and deliver alerts.

    alerts list                       active alerts, silences, outbox state
    alerts silence KEY|--domain D|--env E --for 2h --reason TEXT
    alerts unsilence ID
    alerts ack KEY [--reason TEXT]
    alerts test --channel NAME        send a test notification now, print the outcome
    alerts deliver [--wait 30s]       drain the outbox (cron without the daemon)

Silenced and acknowledged alerts are stored and shown here, never notified. The work is
`monitor.services.alerts`; this module parses options and prints.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from alerts.event import ProblemKey
from monitor.cli._common import config_option, current_user, duration_option, open_app
from monitor.errors import ExitCode
from monitor.render.alerts import (
    render_channel_test,
    render_delivery,
    render_overview_json,
    render_overview_text,
    render_silence,
)
from monitor.services import alerts as alert_service

__all__ = ["alerts"]


def _key(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return ProblemKey.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("alerts")
def alerts() -> None:
    """Alerts: list, silence, acknowledge, test channels, deliver the outbox."""


@alerts.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also show alerts resolved in the last day.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@config_option
def list_alerts(*, show_all: bool, fmt: str, config_path: Path) -> None:
    """Active alerts (with why any is muted), silences and the outbox."""
    with open_app(config_path) as app:
        overview = alert_service.overview(app, include_resolved=show_all)
    click.echo(render_overview_json(overview) if fmt == "json" else render_overview_text(overview))


@alerts.command("silence")
@click.argument("key", required=False, callback=_key)
@click.option("--domain", help="Silence every alert of this domain.")
@click.option("--env", "environment", help="Silence every alert of this environment.")
@click.option("--for", "duration", required=True, callback=duration_option, help="e.g. 2h, 30m, 1d")
@click.option("--reason", required=True, help="Why (shown in `alerts list`).")
@click.option("--by", "by", default=current_user, help="Who silences (default: current user).")
@config_option
def silence(
    *,
    key: ProblemKey | None,
    domain: str | None,
    environment: str | None,
    duration: dt.timedelta,
    reason: str,
    by: str,
    config_path: Path,
) -> None:
    """Silence alerts by KEY, --domain or --env for a while: stored, shown, not notified."""
    if sum(x is not None for x in (key, domain, environment)) != 1:
        raise click.UsageError("give exactly one of KEY, --domain or --env")
    with open_app(config_path) as app:
        made = alert_service.silence(
            app,
            duration=duration,
            reason=reason,
            by=by,
            key=key,
            domain=domain,
            environment=environment,
        )
    click.echo(f"silence {render_silence(made)}")


@alerts.command("unsilence")
@click.argument("silence_id", type=int)
@config_option
def unsilence(*, silence_id: int, config_path: Path) -> None:
    """End silence ID now."""
    with open_app(config_path) as app:
        alert_service.unsilence(app, silence_id)
    click.echo(f"silence #{silence_id} ended")


@alerts.command("ack")
@click.argument("key", callback=_key)
@click.option("--reason", default="", help="Optional note.")
@click.option("--by", "by", default=current_user, help="Who acknowledges (default: current user).")
@config_option
def ack(*, key: ProblemKey, reason: str, by: str, config_path: Path) -> None:
    """Acknowledge KEY: no more reminders for this episode; resolved is still sent."""
    with open_app(config_path) as app:
        record = alert_service.ack(app, key, by=by, reason=reason)
    click.echo(f"acknowledged {record.key} (episode {record.episode})")


@alerts.command("test")
@click.option("--channel", "name", required=True, help="Channel name from the config.")
@config_option
def test_channel(*, name: str, config_path: Path) -> None:
    """Send a test notification through one channel now and print the outcome."""
    with open_app(config_path) as app:
        outcome = alert_service.test_channel(app, name)
    click.echo(f"sent a test notification to {render_channel_test(outcome.channel)}")
    if outcome.error is not None:
        kind = "retryable" if outcome.error.retryable else "permanent"
        click.echo(f"FAILED ({kind}): {outcome.error.message}", err=True)
        sys.exit(ExitCode.FAILED)
    click.echo(f"delivered ({outcome.notification_id})")


@alerts.command("deliver")
@click.option(
    "--wait",
    "wait",
    default="30s",
    callback=duration_option,
    show_default=True,
    help="Deliver for at most this long, retries that come due included (a hard bound).",
)
@config_option
def deliver(*, wait: dt.timedelta, config_path: Path) -> None:
    """Deliver queued notifications (what the daemon does continuously)."""
    with open_app(config_path) as app:
        delivery = alert_service.deliver(app, wait=wait.total_seconds())
    for problem in delivery.problems:
        click.echo(f"error: {problem}", err=True)
    report = delivery.report
    click.echo(render_delivery(report))
    if delivery.problems or report.failed or report.dead:
        sys.exit(ExitCode.FAILED)
