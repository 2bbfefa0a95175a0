"""`senderwatch baseline show|approve`: the approved state of each check, and accepting drift.

`approve` makes the newest measured (non-error) result of each matching check its new
baseline, recording who, when and why; earlier baselines stay in the history. A selection
that matches nothing, or names an unknown domain or check, is a usage error (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli._common import config_option, current_user, open_app
from monitor.render._text import plural
from monitor.render.baselines import baselines_document, render_baselines_text
from monitor.render.json_doc import to_json
from monitor.services import baselines as baseline_service
from monitor.services.baselines import Selection

__all__ = ["baseline"]


def _filter_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option(
        "--check", "check_name", metavar="C", help="Only this check (dmarc or dns.dmarc)."
    )(func)
    func = click.option("--env", metavar="E", help="Only results of environment E.")(func)
    return click.option("--domain", metavar="D", help="Only this domain.")(func)


@click.group("baseline")
def baseline() -> None:
    """Show or approve the baselines drift is measured against."""


@baseline.command("show")
@_filter_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def show(
    *, domain: str | None, env: str | None, check_name: str | None, fmt: str, config_path: Path
) -> None:
    """Current baselines (who approved them, when, why) and open drift."""
    with open_app(config_path) as app:
        view = baseline_service.show(app, Selection(domain, env, check_name))
    if fmt == "json":
        click.echo(to_json(baselines_document(view.baselines, view.drifts)))
    else:
        color = sys.stdout.isatty()
        text = render_baselines_text(view.baselines, view.drifts, color=color)
        click.echo(text, color=color)


@baseline.command("approve")
@_filter_options
@click.option("--reason", required=True, help="Why this state is accepted (stored).")
@click.option("--by", default=current_user, show_default="$USER", help="Who approves (stored).")
@config_option
def approve(
    *,
    domain: str | None,
    env: str | None,
    check_name: str | None,
    reason: str,
    by: str,
    config_path: Path,
) -> None:
    """Accept the latest measured result of each matching check as its new baseline."""
    with open_app(config_path) as app:
        approvals = baseline_service.approve(
            app, Selection(domain, env, check_name), by=by, reason=reason
        )
    for item in approvals:
        b = item.baseline
        env_part = f" [{b.environment}]" if b.environment else ""
        accepted = f", {plural(len(item.accepted), 'drift')} accepted" if item.accepted else ""
        click.echo(f"approved {b.check} {b.subject}{env_part} from result {b.result_id}{accepted}")
