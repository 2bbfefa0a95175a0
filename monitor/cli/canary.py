"""`senderwatch canary --env E`: send one canary now, print the receiver's verdict, exit.

A thin wrapper over `monitor.services.canary`. The text output is the result table of `check`
followed by the canary's own evidence (token, timings, the trusted Authentication-Results and
any ignored ones), because "dkim fail" alone sends a person to the relay's logs, while the
header that said it tells them where to look.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli._common import alert_on, config_option, no_alerts_option, open_app
from monitor.render.canary import render_canary_json, render_canary_text
from monitor.services import canary as canary_service

__all__ = ["canary"]


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
    measured (relay or inbox unreachable), 4 database.
    """
    with open_app(config_path) as app:
        result = canary_service.run(app, env_name, release=release, timeout=timeout)
        if not no_alerts:
            alert_on(app, result.outcome)
    if fmt == "json":
        click.echo(render_canary_json(result))
    else:
        color = sys.stdout.isatty()
        click.echo(render_canary_text(result, color=color), color=color)
    if result.ack_error:
        click.echo(f"warning: {result.ack_error}", err=True)
    sys.exit(result.exit_code)
