"""`senderwatch canary --env E`: send one canary now, print the receiver's verdict, exit.

A thin wrapper around `monitor.engine.canary_run.run_canary`. The text output is the result table of
`check` followed by the canary's own evidence (token, timings, the trusted
Authentication-Results and any ignored ones), because "dkim fail" alone sends a person to the
relay's logs, while the header that said it tells them where to look.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from checks.result import CheckResult
from monitor.cli._common import (
    ExitCode,
    alert_on,
    config_option,
    load_or_exit,
    no_alerts_option,
)
from monitor.config import ConfigError, Settings
from monitor.engine.canary_run import CanaryRunOutcome, run_canary
from monitor.engine.check_run import CheckRunOutcome
from monitor.engine.plan import PlanError
from monitor.render.checks import outcome_document, render_text, to_json

__all__ = ["canary", "canary_details", "print_canary", "run_canary_gate", "run_canary_or_exit"]


@click.command("canary")
@click.option("--env", "env_name", required=True, metavar="E", help="The environment to prove.")
@click.option("--release", metavar="TAG", help="Release tag carried in the canary and stored.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="S",
    help="Seconds to wait for the canary in the inbox (default: the environment's timeout).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@no_alerts_option
@config_option
def canary(
    *,
    env_name: str,
    release: str | None,
    timeout: float | None,
    fmt: str,
    no_alerts: bool,
    config_path: Path,
) -> None:
    """Send a canary through environment E's sending path and prove its authentication.

    Exit status: 0 pass (warnings allowed), 1 the canary failed (not delivered, SPF, DKIM or
    DMARC not passing) or critical drift, 2 configuration or usage error, 3 nothing could be
    measured (relay or inbox unreachable).
    """
    settings = load_or_exit(config_path)
    result = run_canary_or_exit(
        lambda: run_canary(settings, env_name, release=release, timeout=timeout)
    )
    if not no_alerts:
        alert_on(settings, result.outcome)
    print_canary(result, fmt=fmt)
    sys.exit(result.exit_code)


def run_canary_gate(
    settings: Settings, env_name: str | None, *, release: str | None
) -> CheckRunOutcome:
    """`check --env E --canary`: E's DNS checks and canary in one stored run.

    Raises:
        PlanError: no --env given, or E is unknown or has no canary.
    """
    if env_name is None:
        raise PlanError("--canary needs --env: the environment whose canary to send")
    result = run_canary_or_exit(
        lambda: run_canary(settings, env_name, release=release, with_dns=True, trigger="cli")
    )
    if result.ack_error:
        click.echo(f"warning: {result.ack_error}", err=True)
    return result.outcome


def run_canary_or_exit(call: Callable[[], CanaryRunOutcome]) -> CanaryRunOutcome:
    """Run `call()`; configuration and database problems print and exit 2."""
    try:
        outcome = call()
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(ExitCode.CONFIG)
    except PlanError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.CONFIG)
    return outcome


def print_canary(result: CanaryRunOutcome, *, fmt: str) -> None:
    """The outcome in `fmt`; a canary left in the inbox is reported on stderr."""
    if fmt == "json":
        document = outcome_document(result.outcome)
        document["canary"] = _canary_document(result)
        click.echo(to_json(document))
    else:
        color = sys.stdout.isatty()
        click.echo(render_text(result.outcome, color=color), color=color)
        canary_result = _canary_result(result)
        if canary_result is not None:
            click.echo("\n".join(["", *canary_details(canary_result)]))
    if result.ack_error:
        click.echo(f"warning: {result.ack_error}", err=True)


def _canary_result(result: CanaryRunOutcome) -> CheckResult | None:
    return next(
        (s.result for s in result.outcome.results if s.result.kind == "canary"),
        None,
    )


def _canary_document(result: CanaryRunOutcome) -> dict[str, Any]:
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
