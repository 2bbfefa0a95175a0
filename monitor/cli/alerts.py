"""`senderwatch alerts`: see, silence, acknowledge, test and deliver alerts.

    alerts list                       active alerts, silences, outbox state
    alerts silence KEY|--domain D|--env E --for 2h --reason TEXT
    alerts unsilence ID
    alerts ack KEY [--reason TEXT]
    alerts test --channel NAME        send a test notification now, print the outcome
    alerts deliver [--wait 30s]       drain the outbox (cron without the daemon)

Silenced and acknowledged alerts are stored and shown here, never notified.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from alerts.event import (
    AlertRecord,
    AlertState,
    DeliveryError,
    Notification,
    NotifyReason,
    ProblemKey,
    new_notification_id,
)
from alerts.routing import mute_reason
from monitor.cli._common import ExitCode, config_option, load_or_exit
from monitor.config import ConfigError, Settings
from monitor.config.alerts import parse_duration
from monitor.engine.alerting import deliver_pending
from monitor.storage import Database, open_database
from monitor.storage.alerts_store import AlertRepository
from monitor.wiring.alerts import alerts_clock, build_channel

__all__ = ["alerts"]


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    db = open_database(settings.database.url)
    try:
        yield db
    finally:
        db.dispose()


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _key(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return ProblemKey.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _ts(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%MZ") if value else "-"


@click.group("alerts")
def alerts() -> None:
    """Alerts: list, silence, acknowledge, test channels, deliver the outbox."""


@alerts.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also show alerts resolved in the last day.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@config_option
def list_alerts(*, show_all: bool, fmt: str, config_path: Path) -> None:
    """Active alerts (with why any is muted), silences and the outbox."""
    settings = load_or_exit(config_path)
    now = alerts_clock()()
    with _database(settings) as db, db.transaction() as session:
        repo = AlertRepository(session)
        active = repo.in_states([AlertState.FIRING, AlertState.PENDING])
        resolved = repo.resolved_since(now - dt.timedelta(days=1)) if show_all else []
        silences = repo.silences(now)
        firing = [r for r in active if r.state is AlertState.FIRING]
        rows = [(r, mute_reason(r, silences, firing, now)) for r in [*active, *resolved]]
        counts = repo.outbox_counts()
        recent = [n for n in repo.notifications(50) if n["status"] in ("failed", "dead")][:5]
    if fmt == "json":
        doc = {
            "alerts": [{**r.to_payload(), "acked": r.acked, "muted": why} for r, why in rows],
            "silences": [
                {
                    "id": s.id,
                    "covers": s.describe(),
                    "until": s.ends_at.isoformat(),
                    "reason": s.reason,
                    "by": s.created_by,
                }
                for s in silences
            ],
            "outbox": dict(counts),
        }
        click.echo(json.dumps(doc, indent=2, default=str))
        return
    _print_alerts(rows)
    click.echo(f"\nSILENCES ({len(silences)} active)")
    for s in silences:
        click.echo(
            f"  #{s.id}  {s.describe()}  until {_ts(s.ends_at)}  by {s.created_by}: {s.reason}"
        )
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"
    click.echo(f"\nOUTBOX  {summary}")
    for n in recent:
        click.echo(f"  {n['status']}: {n['id']} → {n['channel']} ({n['key']}): {n['last_error']}")


def _print_alerts(rows: list[tuple[AlertRecord, str | None]]) -> None:
    click.echo(f"ALERTS ({len(rows)})")
    for record, why in rows:
        notes = [n for n in ("acked" if record.acked else None, why) if n]
        since = record.fired_at or record.first_seen_at
        click.echo(
            f"  {record.state.value:<8} {record.severity.value:<8} {_ts(since)}  "
            f"{record.key}" + (f"  [{'; '.join(notes)}]" if notes else "")
        )
        click.echo(f"      {record.summary}")


@alerts.command("silence")
@click.argument("key", required=False, callback=_key)
@click.option("--domain", help="Silence every alert of this domain.")
@click.option("--env", "environment", help="Silence every alert of this environment.")
@click.option("--for", "duration", required=True, callback=_duration, help="e.g. 2h, 30m, 1d")
@click.option("--reason", required=True, help="Why (shown in `alerts list`).")
@click.option("--by", "by", default=_who, help="Who silences (default: current user).")
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
    settings = load_or_exit(config_path)
    now = alerts_clock()()
    with _database(settings) as db, db.transaction() as session:
        made = AlertRepository(session).add_silence(
            now=now,
            duration=duration,
            reason=reason,
            created_by=by,
            key=key,
            domain=domain.lower().rstrip(".") if domain else None,
            environment=environment,
        )
    click.echo(f"silence #{made.id}: {made.describe()} until {_ts(made.ends_at)}")


@alerts.command("unsilence")
@click.argument("silence_id", type=int)
@config_option
def unsilence(*, silence_id: int, config_path: Path) -> None:
    """End silence ID now."""
    settings = load_or_exit(config_path)
    with _database(settings) as db, db.transaction() as session:
        ended = AlertRepository(session).cancel_silence(silence_id, alerts_clock()())
    if not ended:
        click.echo(f"error: no active silence #{silence_id}", err=True)
        sys.exit(ExitCode.FAILED)
    click.echo(f"silence #{silence_id} ended")


@alerts.command("ack")
@click.argument("key", callback=_key)
@click.option("--reason", default="", help="Optional note.")
@click.option("--by", "by", default=_who, help="Who acknowledges (default: current user).")
@config_option
def ack(*, key: ProblemKey, reason: str, by: str, config_path: Path) -> None:
    """Acknowledge KEY: no more reminders for this episode; resolved is still sent."""
    settings = load_or_exit(config_path)
    with _database(settings) as db, db.transaction() as session:
        try:
            record = AlertRepository(session).ack(key, by=by, reason=reason, now=alerts_clock()())
        except LookupError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.FAILED)
    click.echo(f"acknowledged {record.key} (episode {record.episode})")


@alerts.command("test")
@click.option("--channel", "name", required=True, help="Channel name from the config.")
@config_option
def test_channel(*, name: str, config_path: Path) -> None:
    """Send a test notification through one channel now and print the outcome."""
    settings = load_or_exit(config_path)
    configured = settings.alerts.channel(name)
    if configured is None:
        names = ", ".join(c.name for c in settings.alerts.channels) or "none configured"
        click.echo(f"error: no channel named {name!r} ({names})", err=True)
        sys.exit(ExitCode.CONFIG)
    try:
        channel = build_channel(configured)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.CONFIG)
    now = alerts_clock()()
    note = Notification(new_notification_id(), name, NotifyReason.TEST, _test_alert(now), now)
    click.echo(f"sending a test notification to {channel.describe()}")
    try:
        channel.deliver(note)
    except DeliveryError as exc:
        kind = "retryable" if exc.retryable else "permanent"
        click.echo(f"FAILED ({kind}): {exc.message}", err=True)
        sys.exit(ExitCode.FAILED)
    click.echo(f"delivered ({note.id})")


def _test_alert(now: dt.datetime) -> dict[str, Any]:
    stamp = now.isoformat().replace("+00:00", "Z")
    return {
        "key": "senderwatch/test/alerts.test",
        "fingerprint": "test",
        "state": "firing",
        "episode": 0,
        "severity": "info",
        "summary": "senderwatch test notification",
        "kind": "test",
        "check": "test",
        "code": "alerts.test",
        "domain": None,
        "environment": None,
        "labels": {},
        "started_at": stamp,
        "resolved_at": None,
        "changes": [],
        "evidence": "",
    }


@alerts.command("deliver")
@click.option(
    "--wait",
    "wait",
    default="30s",
    callback=_duration,
    show_default=True,
    help="How long to wait for retries that come due.",
)
@config_option
def deliver(*, wait: dt.timedelta, config_path: Path) -> None:
    """Deliver queued notifications (what the daemon does continuously)."""
    settings = load_or_exit(config_path)
    with _database(settings) as db:
        report, problems = deliver_pending(
            db, settings, clock=alerts_clock(), wait=wait.total_seconds()
        )
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(
        f"{report.sent} sent, {report.retried} retries scheduled, {report.failed} failed, "
        f"{report.dead} dead, {report.waiting} still queued"
    )
    if problems or report.failed or report.dead:
        sys.exit(ExitCode.FAILED)
