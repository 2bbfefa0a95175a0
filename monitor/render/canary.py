"""What `canary` and `check --canary` print about the canary itself: its token, latency, the
trusted Authentication-Results and what was ignored, and the canary part of the JSON."""

from __future__ import annotations

from typing import Any

from checks.result import CheckResult
from monitor.engine.canary_run import CanaryRunOutcome
from monitor.render.checks import outcome_document, render_text
from monitor.render.json_doc import to_json

__all__ = ["canary_details", "canary_document", "render_canary_json", "render_canary_text"]


def render_canary_text(result: CanaryRunOutcome, *, color: bool = False) -> str:
    """The run's table, then the canary's own details."""
    text = render_text(result.outcome, color=color)
    canary_result = _canary_result(result)
    if canary_result is not None:
        text += "\n" + "\n".join(["", *canary_details(canary_result)])
    return text


def render_canary_json(result: CanaryRunOutcome) -> str:
    """The `check` JSON document with a `canary` member (docs/json-schema.md)."""
    document = outcome_document(result.outcome)
    document["canary"] = canary_document(result)
    return to_json(document)


def _canary_result(result: CanaryRunOutcome) -> CheckResult | None:
    return next(
        (s.result for s in result.outcome.results if s.result.kind == "canary"),
        None,
    )


def canary_document(result: CanaryRunOutcome) -> dict[str, Any]:
    record = result.record
    return {
        "token": record.token if record else None,
        "message_id": record.message_id if record else None,
        "sent_at": record.sent_at.isoformat() if record else None,
        "delivered": record.delivered if record else False,
        "acknowledged": result.acknowledged,
        "ack_error": result.ack_error,
    }


def canary_details(result: CheckResult) -> list[str]:
    """The canary's evidence as indented text lines (empty parts are left out)."""
    ev = result.evidence
    canary = ev.get("canary") or {}
    lines = [f"Canary {canary.get('token', '?')} ({result.environment})"]
    for label, key in (("message-id", "message_id"), ("to", "to"), ("relay", "relay_reply")):
        if canary.get(key):
            lines.append(f"  {label}: {canary[key]}")
    lines += _latency_lines(ev.get("latency") or {})
    trusted = ev.get("authentication_results") or []
    if trusted:
        lines.append("  trusted Authentication-Results (topmost first):")
        lines += [f"    {item.get('value', '')}" for item in trusted]
    ignored = ev.get("ignored") or []
    if ignored:
        lines.append("  ignored:")
        lines += [f"    {item.get('value', '')}  [{item.get('reason', '')}]" for item in ignored]
    spf = ev.get("spf_explanation") or {}
    if spf.get("explanation"):
        lines.append(f"  SPF: {spf['explanation']}")
    return lines


def _latency_lines(latency: dict[str, Any]) -> list[str]:
    parts = [
        ("send → receiver", latency.get("send_to_receiver_s")),
        ("receiver → detection", latency.get("receiver_to_detection_s")),
        ("send → detection", latency.get("send_to_detection_s")),
    ]
    shown = [f"{label} {value:.1f}s" for label, value in parts if isinstance(value, int | float)]
    return [f"  latency: {', '.join(shown)}"] if shown else []
