"""The `senderwatch` command line.

Exit codes are defined once, in `monitor.errors.ExitCode`. A `UserFacingError` raised by any
command (a database fault, a usage error) is printed as `error: <line>` on stderr and exits
with its own code; no command prints or exits for one itself.

Each command group lives in its own module and is registered here, one line each.
"""

from __future__ import annotations

import click

from monitor.errors import ExitCode, UserFacingError

__all__ = ["ExitCode", "cli", "main"]


class _Group(click.Group):
    """The top-level group: turns a `UserFacingError` into one line and its exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserFacingError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="senderwatch")
def cli() -> None:
    """senderwatch: prove that your organisation's email authenticates, continuously."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="senderwatch")


# Command registrations: one line each, in the order `--help` lists them.
from monitor.cli.alerts import alerts  # noqa: E402 - commands register on the group above
from monitor.cli.baseline import baseline  # noqa: E402
from monitor.cli.canary import canary  # noqa: E402
from monitor.cli.check import check  # noqa: E402
from monitor.cli.config_cmd import config  # noqa: E402
from monitor.cli.db import db  # noqa: E402

cli.add_command(check)
cli.add_command(canary)
cli.add_command(baseline)
cli.add_command(config)
cli.add_command(db)
cli.add_command(alerts)
from monitor.cli.inspect import inspect_command  # noqa: E402

cli.add_command(inspect_command)
