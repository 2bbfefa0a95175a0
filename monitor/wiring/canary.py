"""Environment settings → the canary checks' own frozen configs, with secrets resolved.

Secrets named by `password_env` and `headers_env` are read through `monitor.wiring.secrets`
(config is resolved at the edge; checks never read `os.environ`).
A variable that is not set is a `ConfigError` naming the key and the variable, raised before
anything is sent, so a missing secret never looks like a relay refusing a login.

Public surface:
    sender_config(name, env, environ)   → SmtpSendConfig | HttpSendConfig
    inbox_config(name, env, environ)    → ImapInboxConfig | MaildirInboxConfig
    smtp_check_config(env)              → checks.smtp.SmtpCheckConfig (no secret needed)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from checks.canary.inbox import ImapInboxConfig, MaildirInboxConfig
from checks.canary.senders import HttpSendConfig, SmtpSendConfig
from checks.smtp import SmtpCheckConfig
from monitor.config import ConfigError
from monitor.config.environments import (
    EnvironmentSettings,
    HttpSendSettings,
    InboxSettings,
    SmtpSettings,
)
from monitor.wiring.secrets import read_secret

__all__ = ["inbox_config", "sender_config", "smtp_check_config"]


def sender_config(
    name: str, env: EnvironmentSettings, environ: Mapping[str, str] | None = None
) -> SmtpSendConfig | HttpSendConfig:
    """The sending path of environment `name` (`[environments.NAME.smtp]` or `.http`).

    Raises:
        ConfigError: the environment has no sending path, or a secret variable is unset.
    """
    environ = os.environ if environ is None else environ
    if env.smtp is not None:
        return _smtp(name, env.smtp, environ)
    if env.http is not None:
        return _http(name, env.http, environ)
    raise ConfigError([f"environments.{name}: no sending path (add an smtp or http table)"])


def _smtp(name: str, smtp: SmtpSettings, environ: Mapping[str, str]) -> SmtpSendConfig:
    password = None
    if smtp.password_env:
        key = f"environments.{name}.smtp.password_env"
        password = read_secret(smtp.password_env, key=key, environ=environ)
    return SmtpSendConfig(
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


def _http(name: str, http: HttpSendSettings, environ: Mapping[str, str]) -> HttpSendConfig:
    secrets = {
        header: read_secret(
            variable, key=f"environments.{name}.http.headers_env.{header}", environ=environ
        )
        for header, variable in http.headers_env.items()
    }
    return HttpSendConfig(
        url=http.url,
        body_template=http.body_template,
        method=http.method,
        headers=dict(http.headers),
        secret_headers=secrets,
        timeout=http.timeout,
        success_status=http.success_status,
    )


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
    if inbox.kind == "maildir":
        return MaildirInboxConfig(
            path=inbox.path or "",
            folder=inbox.folder,
            after=inbox.after,
            move_to=inbox.move_to,
            poll_interval=inbox.poll_interval,
        )
    return _imap(name, inbox, environ)


def _imap(name: str, inbox: InboxSettings, environ: Mapping[str, str]) -> ImapInboxConfig:
    key = f"environments.{name}.inbox.password_env"
    return ImapInboxConfig(
        host=inbox.host or "",
        username=inbox.username or "",
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
