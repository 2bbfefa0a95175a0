"""`senderwatch config validate`: every problem of a config file, at once, or a summary.

Problems go to stderr, one line each, and exit 2. Warnings (legal but most likely unmeant,
see `monitor.config.warnings`) go to stderr too and exit 0, or 2 with `--strict` (for CI).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from monitor.cli._common import DEFAULT_CONFIG, config_option
from monitor.config import ConfigError, ConfigFileMissing, Settings, load_settings
from monitor.config.loader import MISSING_CONFIG_HINT
from monitor.config.warnings import config_warnings as _all_warnings
from monitor.errors import ExitCode

__all__ = ["config", "config_warnings"]


@click.group("config")
def config() -> None:
    """Check the configuration file."""


@config.command("validate")
@config_option
@click.option("--strict", is_flag=True, help="Treat warnings as problems (exit 2).")
def validate(config_path: Path, strict: bool) -> None:
    """Print every problem and exit 2, or print a summary and exit 0."""
    try:
        settings = load_settings(config_path)
    except ConfigFileMissing as exc:
        click.echo(exc.problems[0], err=True)
        if _is_default(config_path):
            click.echo(f"{config_path}: {MISSING_CONFIG_HINT}", err=True)
        sys.exit(ExitCode.CONFIG)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(ExitCode.CONFIG)
    warnings = config_warnings(settings)
    for warning in warnings:
        click.echo(f"{config_path}: warning: {warning}", err=True)
    if strict and warnings:
        click.echo(f"{config_path}: {len(warnings)} warning(s) and --strict: not OK", err=True)
        sys.exit(ExitCode.CONFIG)
    click.echo(
        f"config OK: {len(settings.domains)} domains, {len(settings.environments)} "
        f"environments, {len(settings.alerts.channels)} channels"
    )


def _is_default(config_path: Path) -> bool:
    """The path came from neither --config nor $SENDERWATCH_CONFIG: the user named no file."""
    source = click.get_current_context().get_parameter_source("config_path")
    return (
        source is click.core.ParameterSource.DEFAULT
        and not os.environ.get("SENDERWATCH_CONFIG")
        and config_path == Path(DEFAULT_CONFIG)
    )


def config_warnings(settings: Settings) -> list[str]:
    """Legal but suspicious: what an operator most likely did not mean."""
    return _all_warnings(settings)
