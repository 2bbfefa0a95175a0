"""`senderwatch config validate`: every problem of a config file, at once, or a summary."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.config import Settings

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
    shared: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, env in sorted(settings.environments.items()):
        if env.smtp is not None:
            shared[("smtp", env.smtp.host, str(env.smtp.port), env.smtp.username or "")].append(
                name
            )
        if env.inbox is not None:
            where = env.inbox.host or env.inbox.path or ""
            shared[
                ("inbox", env.inbox.kind, where, env.inbox.username or "", env.inbox.folder)
            ].append(name)
    for key, names in shared.items():
        if len(names) > 1:
            warnings.append(
                f"environments {', '.join(names)} share one {key[0]} ({key[1]} {key[2]}); "
                "give each environment its own"
            )
    return warnings
