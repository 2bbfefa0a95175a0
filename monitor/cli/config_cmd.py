"""`senderwatch config validate`: every problem of a config file, at once, or a summary."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.config import Settings
from monitor.config.warnings import environment_warnings

__all__ = ["config", "config_warnings"]


@click.group("config")
def config() -> None:
    """Check the configuration file."""


@config.command("validate")
@config_option
def validate(config_path: Path) -> None:
    """Print every problem and exit 2, or print a summary and exit 0."""
    settings = load_or_exit(config_path)
    for warning in config_warnings(settings):
        click.echo(f"{config_path}: warning: {warning}", err=True)
    click.echo(
        f"config OK: {len(settings.domains)} domains, {len(settings.environments)} "
        f"environments, {len(settings.alerts.channels)} channels"
    )


def config_warnings(settings: Settings) -> list[str]:
    """Legal but suspicious: what an operator most likely did not mean."""
    warnings = []
    for name, env in sorted(settings.environments.items()):
        if settings.domain(env.domain) is None:
            warnings.append(
                f"environments.{name}: domain {env.domain} has no [[domains]] entry; "
                "its DNS checks run with default expectations"
            )
    # Staging must never send as, or read the proof of, production.
    warnings.extend(environment_warnings(settings))
    return warnings
