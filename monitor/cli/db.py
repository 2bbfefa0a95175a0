"""`senderwatch db upgrade|runs`: apply pending schema migrations (every command also does it);
list recent runs with their status (`interrupted` for a run whose process died)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit, open_app
from monitor.render.json_doc import to_json
from monitor.render.runs import render_runs_text, runs_document
from monitor.services import runs as runs_service
from monitor.storage import Database

__all__ = ["db"]


@click.group("db")
def db() -> None:
    """Manage the database schema; list recent runs."""


@db.command("upgrade")
@config_option
def upgrade(config_path: Path) -> None:
    """Migrate the configured database to the newest schema."""
    settings = load_or_exit(config_path)
    database = Database(settings.database.url)
    try:
        before = database.revisions()
        database.upgrade()
        after = database.revisions()
    finally:
        database.dispose()
    was = ", ".join(before) or "empty"
    click.echo(f"database {database.display_url}: at {', '.join(after)} (was {was})")


@db.command("runs")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="At most N."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def runs(*, limit: int, fmt: str, config_path: Path) -> None:
    """Recent runs, newest first: running, pass/warn/fail/error, or interrupted (its process
    died; marked by whichever command opened the database next, this one included)."""
    with open_app(config_path) as app:
        recent = runs_service.recent(app, limit)
    if fmt == "json":
        click.echo(to_json(runs_document(recent)))
    else:
        click.echo(render_runs_text(recent))
