"""Settings → report objects: the rua= mailbox config, input limits, sender rules."""

from __future__ import annotations

import os
from collections.abc import Mapping

from checks.reports.mailbox import ImapInboxConfig
from checks.reports.senders import SenderRule
from checks.reports.unpack import Limits
from monitor.config import ConfigError, Settings
from monitor.config.core import DomainSettings
from monitor.wiring.secrets import read_secret

__all__ = ["input_limits", "mailbox_config", "sender_rules"]


def mailbox_config(
    settings: Settings, env: str, environ: Mapping[str, str] | None = None
) -> ImapInboxConfig:
    """The IMAP config of environment `env`'s report mailbox (password resolved).

    Raises:
        ConfigError: no such environment, no `reports` table, or the password is unset.
    """
    environment = settings.environments.get(env)
    if environment is None:
        known = ", ".join(settings.environments) or "none"
        raise ConfigError([f'no environment "{env}" (configured: {known})'])
    box = environment.reports
    if box is None:
        raise ConfigError([f"environments.{env}: no reports table (the rua= mailbox)"])
    password = read_secret(
        box.password_env,
        key=f"environments.{env}.reports.password_env",
        environ=os.environ if environ is None else environ,
    )
    return ImapInboxConfig(
        host=box.host,
        username=box.username,
        password=password,
        port=box.port,
        security=box.security,
        folder=box.folder,
        idle=False,
        timeout=box.timeout,
        verify_certificate=box.verify_certificate,
        ca_file=box.ca_file,
    )


def input_limits(settings: Settings) -> Limits:
    reports = settings.reports
    return Limits(
        max_input=reports.max_input_bytes,
        max_expanded=reports.max_expanded_bytes,
        max_members=reports.max_members,
    )


def sender_rules(domain: DomainSettings) -> tuple[SenderRule, ...]:
    """The domain's configured senders (`[[domains.senders]]`), in config order."""
    return tuple(
        SenderRule(s.name, s.spf_include, tuple(s.ip_ranges), tuple(s.ptr_suffixes))
        for s in domain.senders
    )
