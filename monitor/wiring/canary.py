"""Environment settings → the canary checks' own frozen configs, with secrets resolved.

Secrets named by `password_env` and `headers_env` are read through `monitor.wiring.secrets`
(config is resolved at the edge; checks never read `os.environ`).
A variable that is not set is a `ConfigError` naming the key and the variable, raised before
anything is sent, so a missing secret never looks like a relay refusing a login.

Senders and inbox readers are built by kind through `SENDER_KINDS` and `INBOX_KINDS`
(kind → settings model, builder), whose keys are exactly those of the registries
(`checks.canary.senders.SENDERS`, `checks.canary.inbox.READERS`) and whose models are the
config's (checked at import). Each builder returns the registered class's `Config`.

Public surface:
    sender_config(name, env, environ)   → SmtpSendConfig | HttpSendConfig
    inbox_config(name, env, environ)    → ImapInboxConfig | MaildirInboxConfig
    smtp_check_config(env)              → checks.smtp.SmtpCheckConfig (no secret needed)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from checks.canary.inbox import READERS, ImapInboxConfig, MaildirInboxConfig
from checks.canary.senders import SENDERS, HttpSendConfig, SmtpSendConfig
from checks.smtp import SmtpCheckConfig
from monitor.config import ConfigError
from monitor.config._base import Section
from monitor.config.environments import EnvironmentSettings
from monitor.config.inbox import INBOX_SETTINGS, ImapInboxSettings, MaildirInboxSettings
from monitor.config.kinds import same_kinds
from monitor.config.sending import SENDING_PATHS, HttpSendSettings, SmtpSettings
from monitor.wiring.secrets import read_secret

__all__ = [
    "INBOX_KINDS",
    "SENDER_KINDS",
    "Kind",
    "inbox_config",
    "sender_config",
    "smtp_check_config",
]


class Kind(NamedTuple):
    """How one sender or inbox kind is built: its settings model and the builder taking
    (environment name, settings, environ)."""

    settings: type[Section]
    build: Callable[[str, Any, Mapping[str, str]], Any]


def _config_of(registry: Mapping[str, type], kind: str) -> Any:
    """The `Config` type of the class registered as `kind`."""
    return getattr(registry[kind], "Config")  # noqa: B009 - registry values are typed `type`


def sender_config(
    name: str, env: EnvironmentSettings, environ: Mapping[str, str] | None = None
) -> SmtpSendConfig | HttpSendConfig:
    """The sending path of environment `name` (`[environments.NAME.<kind>]`).

    Raises:
        ConfigError: the environment has no sending path, or a secret variable is unset.
    """
    environ = os.environ if environ is None else environ
    path = env.sending_path
    if path is None:
        tables = " or ".join(SENDER_KINDS)
        raise ConfigError([f"environments.{name}: no sending path (add an {tables} table)"])
    kind, settings = path
    config: SmtpSendConfig | HttpSendConfig = SENDER_KINDS[kind].build(name, settings, environ)
    return config


def _smtp(name: str, smtp: SmtpSettings, environ: Mapping[str, str]) -> SmtpSendConfig:
    password = None
    if smtp.password_env:
        key = f"environments.{name}.smtp.password_env"
        password = read_secret(smtp.password_env, key=key, environ=environ)
    config: SmtpSendConfig = _config_of(SENDERS, "smtp")(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=password,
        timeout=smtp.timeout,
        verify_certificate=smtp.verify_certificate,
        ca_file=smtp.ca_file,
        client_cert_file=smtp.client_cert_file,
        client_key_file=smtp.client_key_file,
        helo=smtp.helo,
    )
    return config


def _http(name: str, http: HttpSendSettings, environ: Mapping[str, str]) -> HttpSendConfig:
    secrets = {
        header: read_secret(
            variable, key=f"environments.{name}.http.headers_env.{header}", environ=environ
        )
        for header, variable in http.headers_env.items()
    }
    config: HttpSendConfig = _config_of(SENDERS, "http")(
        url=http.url,
        body_template=http.body_template,
        method=http.method,
        headers=dict(http.headers),
        secret_headers=secrets,
        timeout=http.timeout,
        success_status=http.success_status,
    )
    return config


def inbox_config(
    name: str, env: EnvironmentSettings, environ: Mapping[str, str] | None = None
) -> ImapInboxConfig | MaildirInboxConfig:
    """The seed inbox of environment `name`.

    Raises:
        ConfigError: the environment has no inbox, or the password variable is unset.
    """
    environ = os.environ if environ is None else environ
    inbox = env.inbox
    if inbox is None:
        raise ConfigError([f"environments.{name}: no inbox table"])
    config: ImapInboxConfig | MaildirInboxConfig = INBOX_KINDS[inbox.kind].build(
        name, inbox, environ
    )
    return config


def _maildir(
    _name: str, inbox: MaildirInboxSettings, _environ: Mapping[str, str]
) -> MaildirInboxConfig:
    config: MaildirInboxConfig = _config_of(READERS, "maildir")(
        path=inbox.path,
        folder=inbox.folder,
        after=inbox.after,
        move_to=inbox.move_to,
        poll_interval=inbox.poll_interval,
    )
    return config


def _imap(name: str, inbox: ImapInboxSettings, environ: Mapping[str, str]) -> ImapInboxConfig:
    key = f"environments.{name}.inbox.password_env"
    config: ImapInboxConfig = _config_of(READERS, "imap")(
        host=inbox.host,
        username=inbox.username,
        password=read_secret(inbox.password_env, key=key, environ=environ),
        port=inbox.port,
        security=inbox.security,
        folder=inbox.folder,
        after=inbox.after,
        move_to=inbox.move_to,
        idle=inbox.idle,
        poll_interval=inbox.poll_interval,
        timeout=inbox.timeout,
        verify_certificate=inbox.verify_certificate,
        ca_file=inbox.ca_file,
    )
    return config


SENDER_KINDS: dict[str, Kind] = same_kinds(
    "checks.canary.senders.SENDERS",
    SENDERS,
    {"smtp": Kind(SmtpSettings, _smtp), "http": Kind(HttpSendSettings, _http)},
)
"""sender kind → (settings model, builder); keys are the registry's, models the config's."""

INBOX_KINDS: dict[str, Kind] = same_kinds(
    "checks.canary.inbox.READERS",
    READERS,
    {"imap": Kind(ImapInboxSettings, _imap), "maildir": Kind(MaildirInboxSettings, _maildir)},
)
"""inbox kind → (settings model, builder); keys are the registry's, models the config's."""

if {k: v.settings for k, v in SENDER_KINDS.items()} != SENDING_PATHS or {
    k: v.settings for k, v in INBOX_KINDS.items()
} != INBOX_SETTINGS:
    raise RuntimeError("monitor.wiring.canary: a kind's settings model differs from the config's")


def smtp_check_config(env: EnvironmentSettings) -> SmtpCheckConfig | None:
    """The relay probe's config, or None when the environment sends over HTTP (no relay)."""
    smtp = env.smtp
    if smtp is None:
        return None
    return SmtpCheckConfig(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        timeout=smtp.timeout,
        verify_certificate=smtp.verify_certificate,
        ca_file=smtp.ca_file,
        client_cert_file=smtp.client_cert_file,
        client_key_file=smtp.client_key_file,
        helo=smtp.helo,
        auth_required=smtp.username is not None,
    )
