"""`senderwatch inspect MESSAGE.eml`: what a received message proves about its authentication.

A thin wrapper over `monitor.services.inspect`: options become a TrustPolicy and
Expectations, the Inspection becomes text or JSON (docs/authentication-results.md) and
an exit code. The config is read only with `--env`; `--trusted` needs no config at all, so
the command works on a message saved from any mailbox. Only the message's header block is
read (at most `headblock.READ_BYTES` of the file), so a message of any size costs the same.

Exit status: 0 SPF, DKIM and DMARC pass and align; 1 they do not; 2 usage, config or input
error (an unreadable file, a header block over 1 MiB); 3 nothing could be judged (no
trusted receiver's header, or the receiver's header could not be read).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.errors import ExitCode
from monitor.render.inspect import render_text
from monitor.render.json_doc import to_json
from monitor.services import inspect as inspect_service

__all__ = ["inspect_command"]


@click.command("inspect")
@click.argument("message", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--env", metavar="E", help="Trust and expect what environment E's inbox names.")
@click.option("--trusted", multiple=True, metavar="ID", help="A trusted authserv-id (repeatable).")
@click.option(
    "--receiver",
    type=click.Choice(["generic", "microsoft365"]),
    help="Receiver kind (default: the environment's, else generic).",
)
@click.option("--from-domain", metavar="D", help="Expected From domain (default: the env's).")
@click.option("--selector", "selectors", multiple=True, metavar="S", help="Expected selector.")
@click.option("--adkim", type=click.Choice(["r", "s"]), default="r", show_default=True)
@click.option("--aspf", type=click.Choice(["r", "s"]), default="r", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def inspect_command(
    *,
    message: Path,
    env: str | None,
    trusted: tuple[str, ...],
    receiver: str | None,
    from_domain: str | None,
    selectors: tuple[str, ...],
    adkim: str,
    aspf: str,
    fmt: str,
    config_path: Path,
) -> None:
    """Check a received message's Authentication-Results against a trusted receiver.

    Name the receiver with --env (reads the config) or --trusted ID (no config needed).
    Exit status: 0 SPF, DKIM and DMARC pass and align, 1 they do not, 2 usage/config/input
    error, 3 nothing could be judged (no trusted header, or it could not be read).
    """
    settings = load_or_exit(config_path) if env else None
    trust, expect = inspect_service.policy(
        settings,
        env=env,
        trusted=trusted,
        receiver=receiver,
        from_domain=from_domain,
        selectors=selectors,
        adkim=adkim,
        aspf=aspf,
    )
    inspection = inspect_service.inspect_file(message, trust, expect)
    if fmt == "json":
        click.echo(to_json(inspection.to_dict()))
    else:
        click.echo(render_text(inspection, str(message)))
    sys.exit(_EXIT[inspection.verdict])


_EXIT = {"pass": ExitCode.OK, "fail": ExitCode.FAILED, "error": ExitCode.ERROR_ONLY}
