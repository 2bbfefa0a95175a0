"""Pieces every command shares: the --config option, settings loading, the App, alerts."""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monitor.config import ConfigError, Settings, load_settings
from monitor.errors import ExitCode

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.engine.check_run import CheckRunOutcome

__all__ = [
    "CONFIG_OPTION_HELP",
    "DEFAULT_CONFIG",
    "ExitCode",
    "alert_on",
    "config_option",
    "current_user",
    "load_or_exit",
    "no_alerts_option",
    "open_app",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "senderwatch.toml"
START_HINT = (
    "no config file: `senderwatch check DOMAIN` checks a domain without one; to watch more, "
    "start from config.example.toml (every option, explained): copy it to ./senderwatch.toml "
    "and edit it, or pass --config PATH or set $SENDERWATCH_CONFIG"
)
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
    if not config_path.exists():
        click.echo(f"{config_path}: file not found", err=True)
        if _default_config_used():
            click.echo(START_HINT, err=True)
        sys.exit(ExitCode.CONFIG)
    try:
        return load_settings(config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(ExitCode.CONFIG)


def _default_config_used() -> bool:
    """True when --config was not given (nor $SENDERWATCH_CONFIG): a first run, most likely."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or "SENDERWATCH_CONFIG" in os.environ:
        return False
    return ctx.get_parameter_source("config_path") is click.core.ParameterSource.DEFAULT


@contextlib.contextmanager
def open_app(config_path: Path | None = None, *, settings: Settings | None = None) -> Iterator[App]:
    """The command's `App` (settings loaded, database opened on first use), closed after."""
    from monitor.app import App

    app = App(settings if settings is not None else load_or_exit(config_path or Path()))
    try:
        yield app
    finally:
        app.close()


def no_alerts_option(func: F) -> F:
    """`--no-alerts`, same spelling on every one-shot command that runs checks."""
    return click.option(
        "--no-alerts", is_flag=True, help="Skip the alert lifecycle and notifications."
    )(func)


def alert_on(app: App, outcome: CheckRunOutcome) -> None:
    """Run the alert lifecycle on a stored run and deliver what it produced before exit
    (bounded wait; docs/alerts.md). The summary goes to stderr: JSON on stdout stays clean."""
    from monitor.render.alerts import render_alerting
    from monitor.services.checks import raise_alerts

    for line in render_alerting(raise_alerts(app, outcome)):
        click.echo(line, err=True)


def current_user() -> str:
    """Who runs the command, for approvals, silences and acks (`$USER`, else the login)."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def duration_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """Click callback: "2h", "30m", "1d" as a timedelta (None stays None); a bad value is the
    option's own usage error."""
    from monitor.config.alerts import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
