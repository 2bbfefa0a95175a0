"""What `baseline show` prints: the approved state of each check and the drift still open."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.render._text import table
from monitor.render.checks import drift_lines
from monitor.render.json_doc import JSON_VERSION
from monitor.storage import Baseline, StoredDrift

__all__ = ["baselines_document", "render_baselines_text"]


def baselines_document(
    baselines: Sequence[Baseline], drifts: Sequence[StoredDrift]
) -> dict[str, Any]:
    """The JSON document of `senderwatch baseline show --format json`."""
    return {
        "version": JSON_VERSION,
        "baselines": [
            {
                "check": b.check,
                "subject": b.subject,
                "environment": b.environment,
                "approved_at": b.approved_at.isoformat(),
                "approved_by": b.approved_by,
                "reason": b.reason,
                "automatic": b.automatic,
                "result_id": b.result_id,
                "observations": dict(b.observations),
            }
            for b in baselines
        ],
        "drifts": [d.drift.to_dict() | {"detected_at": d.detected_at.isoformat()} for d in drifts],
    }


def render_baselines_text(
    baselines: Sequence[Baseline], drifts: Sequence[StoredDrift], *, color: bool = False
) -> str:
    """Current baselines (who approved them, when, why) and the drift still open."""
    if not baselines:
        return "No baselines yet: run `senderwatch check` first."
    rows = [
        [
            b.check,
            b.subject,
            b.environment or "-",
            b.approved_at.strftime("%Y-%m-%d %H:%M UTC"),
            b.approved_by,
            b.reason,
        ]
        for b in baselines
    ]
    lines = table(["check", "subject", "env", "approved", "by", "reason"], rows)
    open_drift = [d.drift for d in drifts]
    lines += ["", "Open drift:" if open_drift else "Open drift: none"]
    lines += drift_lines(open_drift, color)
    return "\n".join(lines)
