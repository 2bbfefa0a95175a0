"""`senderwatch status`: the fleet of `senderwatch run` replicas sharing the database.

Read from the database, so it answers the same on any machine: the replicas seen in the
last day (alive while their heartbeat is within `daemon.lease`, stopped, or silent: died),
their last heartbeat and the jobs they hold, and each job's newest tick.
"""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli._common import config_option, open_app
from monitor.render.fleet import fleet_document, render_fleet_text
from monitor.render.json_doc import to_json
from monitor.services import fleet

__all__ = ["status"]


@click.command("status")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def status(*, fmt: str, config_path: Path) -> None:
    """Replicas seen, their last heartbeat, the jobs they hold."""
    with open_app(config_path) as app:
        state = fleet.status(app)
    click.echo(to_json(fleet_document(state)) if fmt == "json" else render_fleet_text(state))
