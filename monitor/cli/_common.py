"""Pieces every command shares: exit codes, the --config option, settings loading."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor.config import ConfigError, Settings, load_settings

__all__ = ["CONFIG_OPTION_HELP", "ExitCode", "config_option", "load_or_exit"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "senderwatch.toml"
CONFIG_OPTION_HELP = "Config file (TOML). Default: $SENDERWATCH_CONFIG, else ./senderwatch.toml."


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    CONFIG = 2
    ERROR_ONLY = 3


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
