"""What `senderwatch db runs` prints: recent runs with their status, as text or JSON.

A run with no status is shown as `running` while its lease holds; one whose process died is
`interrupted` once any command has opened the database (monitor.storage.runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitor.storage import RunRecord

__all__ = ["RUNNING", "render_runs_text", "run_status_word", "runs_document"]

RUNNING = "running"


def run_status_word(run: RunRecord) -> str:
    """The run's stored status, or `running` while it has none."""
    return run.status or RUNNING


def runs_document(runs: Sequence[RunRecord]) -> dict[str, Any]:
    """The JSON document of `senderwatch db runs --format json` (docs/json-schema.md)."""
    return {
        "version": 1,
        "runs": [
            {
                "id": run.id,
                "status": run_status_word(run),
                "trigger": run.trigger,
                "release": run.release,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "heartbeat_at": _iso(run.heartbeat_at),
                "lease_until": _iso(run.lease_until),
            }
            for run in runs
        ],
    }


def render_runs_text(runs: Sequence[RunRecord]) -> str:
    """A table, newest first; `-` for what a run does not have."""
    if not runs:
        return "No runs yet: run `senderwatch check` first."
    header = ["id", "status", "trigger", "started", "finished", "release"]
    rows = [
        [
            str(run.id),
            run_status_word(run),
            run.trigger,
            _short(run.started_at),
            _short(run.finished_at),
            run.release or "-",
        ]
        for run in runs
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"
