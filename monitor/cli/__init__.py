"""The `senderwatch` command line.

Commands are loaded lazily: `COMMANDS` names each command's module and its one-line help, so
`senderwatch --help` and `senderwatch config validate` never import the DNS, database or
checkdmarc code that other commands need. Exit codes are defined once, in
`monitor.errors.ExitCode`; problems a person must fix are raised by the services as
`UserFacingError` (or `ConfigError`) and turned into one line and an exit code here, once.

Adding a command: one module under `monitor/cli/` and one line in `COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from monitor.errors import ExitCode

__all__ = ["COMMANDS", "ExitCode", "cli", "main"]

# name: ("module:attribute", one-line help shown by `senderwatch --help`), in --help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("monitor.cli.check:check", "Run the DNS checks now and compare with baselines."),
    "canary": ("monitor.cli.canary:canary", "Send a canary and prove its authentication."),
    "inspect": ("monitor.cli.inspect:inspect_command", "Judge a saved message's authentication."),
    "blocklists": ("monitor.cli.blocklists:blocklists", "Self-test the configured blocklists."),
    "baseline": ("monitor.cli.baseline:baseline", "Show or approve the baselines."),
    "alerts": ("monitor.cli.alerts:alerts", "List, silence, acknowledge, test and deliver alerts."),
    "config": ("monitor.cli.config_cmd:config", "Check the configuration file."),
    "db": ("monitor.cli.db:db", "Manage the database."),
    "run": ("monitor.cli.run:run_command", "Run the daemon: scheduled checks, canaries, alerts."),
    "runs": ("monitor.cli.runs:runs", "Trigger a post-release run on the daemon and await it."),
    "status": (
        "monitor.cli.status:status",
        "Show the replicas and the jobs they hold.",
    ),
    "reports": ("monitor.cli.reports:reports", "Ingest DMARC/TLS reports; see who sends as you."),
    "report": ("monitor.cli.report:report", "Build or send the weekly sender-health report."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when one of them is invoked."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *sorted(set(super().list_commands(ctx)) - set(self.lazy))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table's help lines, without importing any command."""
        rows = [(name, help_line) for name, (_path, help_line) in self.lazy.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a problem for a person becomes one line on stderr and its code."""
        from monitor.config import ConfigError

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            sys.exit(ExitCode.CONFIG)
        except Exception as exc:
            code = _user_facing(exc)
            if code is None:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(code)


def _user_facing(exc: Exception) -> int | None:
    """The exit code of an error meant for a person, else None (a bug: let it raise)."""
    from monitor.errors import UserFacingError

    if isinstance(exc, UserFacingError):
        return int(exc.exit_code)
    if "monitor.storage" in sys.modules:
        from monitor.storage import DatabaseUnavailable

        if isinstance(exc, DatabaseUnavailable):
            return int(getattr(exc, "exit_code", ExitCode.CONFIG))
    return None


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="senderwatch")
def cli() -> None:
    """senderwatch: prove that your organisation's email authenticates, continuously.

    Exit codes: 0 pass (warnings allowed), 1 a check failed or critical drift, 2 configuration
    or usage error, 3 nothing could be measured, 4 the database cannot be used, 5 `runs
    trigger` got no verdict (API unreachable or busy, or the run outlasted --timeout).
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="senderwatch")
