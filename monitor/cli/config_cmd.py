"""`senderwatch config validate`: every problem of a config file, at once, or a summary.

Problems go to stderr, one line each, and exit 2. Warnings (legal but most likely unmeant,
see `monitor.config.warnings`) go to stderr too and exit 0, or 2 with `--strict` (for CI).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.config import Settings
from monitor.config.warnings import config_warnings as _all_warnings
from monitor.errors import ExitCode
from monitor.render._text import plural

__all__ = ["config", "config_warnings"]


@click.group("config")
def config() -> None:
    """Check the configuration file."""


@config.command("validate")
@config_option
@click.option("--strict", is_flag=True, help="Treat warnings as problems (exit 2).")
def validate(config_path: Path, strict: bool) -> None:
    """Print every problem and exit 2, or print a summary and exit 0."""
    settings = load_or_exit(config_path)
    warnings = config_warnings(settings)
    for warning in warnings:
        click.echo(f"{config_path}: warning: {warning}", err=True)
    if strict and warnings:
        click.echo(
            f"{config_path}: {plural(len(warnings), 'warning')} and --strict: not OK", err=True
        )
        sys.exit(ExitCode.CONFIG)
    click.echo(
        f"config OK: {plural(len(settings.domains), 'domain')}, "
        f"{plural(len(settings.environments), 'environment')}, "
        f"{plural(len(settings.alerts.channels), 'channel')}"
    )


def config_warnings(settings: Settings) -> list[str]:
    """Legal but suspicious: what an operator most likely did not mean."""
    return _all_warnings(settings)
