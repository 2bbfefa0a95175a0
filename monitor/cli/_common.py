"""Pieces every command shares: exit codes, the --config option, settings loading."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monitor.config import ConfigError, Settings, load_settings
from monitor.errors import ExitCode

if TYPE_CHECKING:
    from monitor.engine.check_run import CheckRunOutcome

__all__ = [
    "CONFIG_OPTION_HELP",
    "ExitCode",
    "alert_on",
    "config_option",
    "load_or_exit",
    "no_alerts_option",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "senderwatch.toml"
CONFIG_OPTION_HELP = "Config file (TOML). Default: $SENDERWATCH_CONFIG, else ./senderwatch.toml."


def config_option(func: F) -> F:
    """The `--config PATH` option, same spelling and default on every command."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=lambda: os.environ.get("SENDERWATCH_CONFIG", DEFAULT_CONFIG),
        show_default="$SENDERWATCH_CONFIG or senderwatch.toml",
        help=CONFIG_OPTION_HELP,
    )(func)


def load_or_exit(config_path: Path) -> Settings:
    """Load settings, or print every problem to stderr and exit 2."""
    try:
        return load_settings(config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(ExitCode.CONFIG)


def no_alerts_option(func: F) -> F:
    """`--no-alerts`, same spelling on every one-shot command that runs checks."""
    return click.option(
        "--no-alerts", is_flag=True, help="Skip the alert lifecycle and notifications."
    )(func)


def alert_on(settings: Settings, outcome: CheckRunOutcome) -> None:
    """Run the alert lifecycle on a stored run and deliver what it produced before exit
    (bounded wait; docs/alerts.md), so cron users without the daemon still get firing and
    resolved notifications. The summary goes to stderr: JSON on stdout stays clean."""
    from monitor.engine.alerting import after_check_run

    drifts = [d.drift for d in outcome.drifts]
    alerted = after_check_run(settings, [r.result for r in outcome.results], drifts)
    for line in alerted.summary_lines():
        click.echo(line, err=True)
