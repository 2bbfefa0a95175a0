"""`senderwatch blocklists test`: does each configured blocklist answer from here?

Asks every list its RFC 5782 test entries through the configured resolver and prints one
line per list. Exit 0 every list works, 1 a list answers wrongly, 3 lists could not be asked
(refused: use your own resolver or the list's key; or no answer).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.render.blocklists import render_self_test_text, self_test_document
from monitor.render.json_doc import to_json

__all__ = ["blocklists"]


@click.group("blocklists")
def blocklists() -> None:
    """Blocklists (DNSBL) and reverse DNS of the sending paths."""


@blocklists.command("test")
@click.option("--list", "names", multiple=True, metavar="NAME", help="Only this list (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def test_command(*, names: tuple[str, ...], fmt: str, config_path: Path) -> None:
    """Ask each list its RFC 5782 test entry (127.0.0.2, ::FFFF:7F00:2, TEST) and say per
    list whether it works through the configured resolver."""
    from monitor.app import App
    from monitor.services import blocklists as service

    with App(load_or_exit(config_path)) as app:
        results = service.self_test(app, names)
    click.echo(
        to_json(self_test_document(results)) if fmt == "json" else render_self_test_text(results)
    )
    sys.exit(service.exit_code([r.verdict for r in results]))
