"""`senderwatch reports`: read DMARC aggregate and TLS-RPT reports, see who sends as you.

    reports ingest --env ENV           the rua= mailbox of environment ENV (IMAP)
    reports ingest --dir DIR           every file in DIR (left in place)
    reports ingest FILE...             these files
    reports sources [--week W] [--domain D] [--format text|json]

Needs the `reports` extra (parsedmarc): without it, one line says how to install it (exit 2).
Exit codes of `ingest`: 0 every input stored (or already stored), 1 an input was rejected
(its reason is printed and recorded).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli._common import config_option, open_app
from monitor.errors import ExitCode

__all__ = ["reports"]


@click.group("reports")
def reports() -> None:
    """DMARC aggregate and SMTP TLS reports: ingest them, see who sends as your domains."""


@reports.command("ingest")
@click.option("--env", "env", help="Read the rua= mailbox of this environment.")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="Read every file in DIR.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--no-alerts", is_flag=True, help="Store only; skip the report alert rules.")
@config_option
def ingest_command(
    env: str | None,
    directory: Path | None,
    files: tuple[Path, ...],
    no_alerts: bool,
    config_path: Path,
) -> None:
    """Store reports (zip, gzip or XML; TLS-RPT JSON; inside mail or not), then alert."""
    from monitor.render.alerts import render_alerting
    from monitor.render.reports import render_ingest
    from monitor.services.dmarc_reports import ingest

    with open_app(config_path) as app:
        result = ingest(app, env=env, directory=directory, files=files, alerts=not no_alerts)
    for line in render_ingest(result.inputs):
        click.echo(line)
    if result.alerting is not None:
        for line in render_alerting(result.alerting):
            click.echo(line, err=True)
    sys.exit(ExitCode.FAILED if result.count("rejected") else ExitCode.OK)


@reports.command("sources")
@click.option("--week", help="2026-W05, a date in the week, this (default) or last.")
@click.option("--domain", help="Only this watched domain.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@config_option
def sources_command(week: str | None, domain: str | None, fmt: str, config_path: Path) -> None:
    """Who sent as each domain in a week: volume, DMARC/SPF/DKIM shares, new and failing."""
    from monitor.render.reports import figures_json, render_figures
    from monitor.services.dmarc_reports import parse_week, weekly_figures

    with open_app(config_path) as app:
        start = parse_week(week, app.clock())
        period = weekly_figures(app, start, domain=domain)
    if fmt == "json":
        click.echo(figures_json(period))
    else:
        for line in render_figures(period):
            click.echo(line)
