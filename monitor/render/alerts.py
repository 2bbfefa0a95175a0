"""What `senderwatch alerts` prints: alerts, silences, the outbox, test and delivery outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from alerts.event import AlertRecord
from alerts.outbox import DispatchReport
from alerts.routing import Silence
from monitor.render._text import plural
from monitor.render.json_doc import to_json

__all__ = [
    "render_alerting",
    "render_channel_test",
    "render_delivery",
    "render_overview_json",
    "render_overview_text",
    "render_silence",
    "timestamp",
]


def timestamp(value: dt.datetime | None) -> str:
    """Minutes are enough for a person; UTC is said once, as `Z`."""
    return value.strftime("%Y-%m-%d %H:%MZ") if value else "-"


def render_overview_json(overview: Any) -> str:
    """`alerts list --format json`: alerts (with `acked` and `muted`), silences, outbox counts."""
    return to_json(
        {
            "alerts": [
                {**r.to_payload(), "acked": r.acked, "muted": why} for r, why in overview.alerts
            ],
            "silences": [
                {
                    "id": s.id,
                    "covers": s.describe(),
                    "until": s.ends_at.isoformat(),
                    "reason": s.reason,
                    "by": s.created_by,
                }
                for s in overview.silences
            ],
            "outbox": dict(overview.outbox),
        }
    )


def render_overview_text(overview: Any) -> str:
    """Alerts first (what on-call acts on), then silences, then the outbox and its failures."""
    lines = [f"ALERTS ({len(overview.alerts)})"]
    for record, why in overview.alerts:
        lines += _alert_lines(record, why)
    lines += ["", f"SILENCES ({len(overview.silences)} active)"]
    lines += [f"  {render_silence(s)}  by {s.created_by}: {s.reason}" for s in overview.silences]
    counts = overview.outbox
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"
    lines += ["", f"OUTBOX  {summary}"]
    lines += [
        f"  {n['status']}: {n['id']} → {n['channel']} ({n['key']}): {n['last_error']}"
        for n in overview.recent_failures
    ]
    return "\n".join(lines)


def _alert_lines(record: AlertRecord, why: str | None) -> list[str]:
    notes = [n for n in ("acked" if record.acked else None, why) if n]
    since = record.fired_at or record.first_seen_at
    head = (
        f"  {record.state.value:<8} {record.severity.value:<8} {timestamp(since)}  {record.key}"
        + (f"  [{'; '.join(notes)}]" if notes else "")
    )
    return [head, f"      {record.summary}"]


def render_silence(silence: Silence) -> str:
    """`#3: domain example.com until 2026-11-30 14:00Z`."""
    return f"#{silence.id}: {silence.describe()} until {timestamp(silence.ends_at)}"


def render_channel_test(channel: Mapping[str, Any]) -> str:
    """`slack channel "oncall" (webhook_url https://hooks.example/***, timeout 10s)`: the
    channel's configuration with secrets masked, written for a person."""
    details = {
        k: v for k, v in channel.items() if k not in ("name", "kind") and v not in (None, "", ())
    }
    shown = ", ".join(f"{key} {_plain(value)}" for key, value in details.items())
    return f'{channel.get("kind", "?")} channel "{channel.get("name", "?")}"' + (
        f" ({shown})" if shown else ""
    )


def _plain(item: object) -> str:
    if isinstance(item, list | tuple):
        return ", ".join(map(str, item))
    if isinstance(item, float) and item.is_integer():
        return f"{int(item)}s"
    return str(item)


def render_delivery(report: DispatchReport) -> str:
    """One line whose counts add up: every notification this drain handled, by outcome."""
    parts = [
        f"{report.sent} sent",
        plural(report.retried, "retry", "retries") + " scheduled",
        f"{report.failed} failed",
        f"{report.dead} dead",
    ]
    return ", ".join(parts) + f"; {report.waiting} still queued"


def render_alerting(outcome: Any) -> list[str]:
    """What a one-shot run did to the alerts, for stderr: each notification queued, each
    muted problem, then one delivery line whose counts agree with those above."""
    lines = [
        f"alert {intent.reason.value}: {intent.record.summary} [{intent.record.key}] "
        f"→ {intent.channel}"
        for _id, intent in outcome.enqueued
    ]
    lines += [f"alert muted: {key}: {why}" for key, why in outcome.muted.items()]
    if outcome.report is not None:
        lines.append("alerts: " + render_delivery(outcome.report))
    return lines
