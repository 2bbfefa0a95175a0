"""`senderwatch db upgrade`: apply pending schema migrations (every command also does it)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.storage import Database

__all__ = ["db"]


@click.group("db")
def db() -> None:
    """Manage the database schema."""


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
