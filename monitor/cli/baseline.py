"""`senderwatch baseline show|approve`: the approved state of each check, and accepting drift.

`approve` makes the newest measured (non-error) result of each matching check its new
baseline, recording who, when and why; earlier baselines stay in the history.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click

from checks.base import utcnow
from monitor.cli._common import ExitCode, config_option, load_or_exit
from monitor.config import Settings
from monitor.policy.baseline import approve_latest
from monitor.render.checks import baselines_document, render_baselines_text, to_json
from monitor.storage import (
    BaselineRepository,
    Database,
    DriftRepository,
    KeyFilter,
    open_database,
)

__all__ = ["baseline"]


def _filter_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option(
        "--check", "check_name", metavar="C", help="Only this check (dmarc or dns.dmarc)."
    )(func)
    func = click.option("--env", metavar="E", help="Only results of environment E.")(func)
    return click.option("--domain", metavar="D", help="Only this domain.")(func)


def _key_filter(domain: str | None, env: str | None, check_name: str | None) -> KeyFilter:
    return KeyFilter(
        subject=domain.strip().rstrip(".").lower() if domain else None,
        environment=env,
        # Stored under the check's short name; accept the registry id as well.
        check=check_name.rsplit(".", 1)[-1] if check_name else None,
    )


def _open(settings: Settings) -> Database:
    return open_database(settings.database.url)


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
    db = _open(load_or_exit(config_path))
    where = _key_filter(domain, env, check_name)
    with db.transaction() as session:
        baselines = BaselineRepository(session).current_all(where)
        drifts = DriftRepository(session).open(where)
    db.dispose()
    if fmt == "json":
        click.echo(to_json(baselines_document(baselines, drifts)))
    else:
        color = sys.stdout.isatty()
        click.echo(render_baselines_text(baselines, drifts, color=color), color=color)


@baseline.command("approve")
@_filter_options
@click.option("--reason", required=True, help="Why this state is accepted (stored).")
@click.option(
    "--by",
    default=lambda: os.environ.get("USER") or getpass.getuser(),
    show_default="$USER",
    help="Who approves (stored).",
)
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
    db = _open(load_or_exit(config_path))
    try:
        with db.transaction() as session:
            approvals = approve_latest(
                session, _key_filter(domain, env, check_name), by=by, reason=reason, now=utcnow()
            )
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.CONFIG)
    finally:
        db.dispose()
    if not approvals:
        click.echo("nothing to approve: no measured result matches", err=True)
        sys.exit(ExitCode.FAILED)
    for item in approvals:
        b = item.baseline
        env_part = f" [{b.environment}]" if b.environment else ""
        accepted = f", {len(item.accepted)} drift accepted" if item.accepted else ""
        click.echo(f"approved {b.check} {b.subject}{env_part} from result {b.result_id}{accepted}")
