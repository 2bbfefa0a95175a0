"""Environment config: every canary rule checked at load, with the bad key named."""

from __future__ import annotations

import tomllib

import pytest

from checks.canary.inbox import ImapInboxConfig, MaildirInboxConfig
from checks.canary.senders import HttpSendConfig, SmtpSendConfig
from monitor.config import ConfigError, Settings, parse_settings
from monitor.wiring.canary import inbox_config, sender_config, smtp_check_config

BASE = """
[environments.staging]
domain = "example.test"
from = "canary@staging.example.test"
to = "seed@inbox.example.test"
[environments.staging.smtp]
host = "relay.example.test"
port = 587
security = "starttls"
username = "canary"
password_env = "STAGING_SMTP_PASSWORD"
[environments.staging.inbox]
kind = "imap"
host = "imap.example.test"
username = "seed"
password_env = "STAGING_IMAP_PASSWORD"
trusted_authserv_ids = ["mx.inbox.example.test"]
"""

HTTP = """
[environments.esp]
domain = "example.test"
from = "canary@example.test"
to = "seed@inbox.example.test"
[environments.esp.http]
url = "https://api.esp.example.test/send"
headers_env = { Authorization = "ESP_AUTH" }
body_template = '{"from": {{ from | tojson }}, "to": {{ to | tojson }}}'
[environments.esp.inbox]
kind = "maildir"
path = "/var/mail/seed/Maildir"
trusted_authserv_ids = ["mx.inbox.example.test"]
"""


def load(text: str) -> Settings:
    return parse_settings(tomllib.loads(text), "test.toml")


def problems(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(text)
    return "\n".join(info.value.problems)


def test_a_complete_smtp_and_imap_environment_loads() -> None:
    """The documented shape is accepted as written."""
    env = load(BASE).environments["staging"]
    assert env.smtp is not None
    assert env.smtp.username == "canary"
    assert env.inbox is not None
    assert env.inbox.kind == "imap"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'host = "relay.example.test"\nport = 587\nsecurity = "starttls"',
            'host = "relay.example.test"\nport = 25\nsecurity = "none"',
            'environments.staging.smtp: security = "none" is allowed only for a loopback host',
        ),
        (
            'password_env = "STAGING_SMTP_PASSWORD"\n[environments.staging.inbox]',
            "[environments.staging.inbox]",
            "environments.staging.smtp: username is set but password_env is missing",
        ),
        (
            'security = "starttls"\n',
            'security = "starttls"\nclient_key_file = "client.key"\n',
            "client_key_file is set but client_cert_file is missing",
        ),
        (
            'username = "seed"\n',
            "",
            'environments.staging.inbox.username: required key is missing for kind = "imap"',
        ),
        (
            'kind = "imap"\n',
            'kind = "imap"\nafter = "move"\nmove_to = "INBOX"\n',
            "move_to is the watched folder itself",
        ),
        (
            'from = "canary@staging.example.test"',
            'from = "canary@elsewhere.test"',
            'from "canary@elsewhere.test" is not at domain "example.test"',
        ),
        (
            'to = "seed@inbox.example.test"',
            'to = "seed"',
            'environments.staging.to: must be an email address; got "seed"',
        ),
        (
            'trusted_authserv_ids = ["mx.inbox.example.test"]',
            "trusted_authserv_ids = []",
            "trusted_authserv_ids is empty",
        ),
        (
            'port = 587\nsecurity = "starttls"',
            'port = 587\nsecurity = "ssl"',
            'environments.staging.smtp.security: must be one of tls, starttls, none; got "ssl"',
        ),
    ],
)
def test_broken_canary_settings_are_named_at_load(old: str, new: str, expected: str) -> None:
    """Each rule fails at `config validate` with its key, not at 3 a.m. during a send."""
    assert old in BASE
    assert expected in problems(BASE.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'url = "https://api.esp.example.test/send"',
            'url = "http://api.esp.example.test/send"',
            "url must use https (plain http is allowed only for loopback)",
        ),
        (
            'url = "https://api.esp.example.test/send"',
            'url = "ftp://api.esp.example.test/send"',
            "environments.esp.http.url: must be an http(s) URL (starting with https:// or http://)",
        ),
        (
            'body_template = \'{"from": {{ from | tojson }}, "to": {{ to | tojson }}}\'',
            "body_template = '{\"from\": {{ from }}}'",
            "environments.esp.http: body_template does not render to JSON: Expecting value",
        ),
        (
            'body_template = \'{"from": {{ from | tojson }}, "to": {{ to | tojson }}}\'',
            "body_template = '{\"x\": {{ sender | tojson }}}'",
            "body_template does not render: 'sender' is undefined",
        ),
        (
            'body_template = \'{"from": {{ from | tojson }}, "to": {{ to | tojson }}}\'',
            "body_template = '{% for %}'",
            "body_template does not render (line 1)",
        ),
        (
            'headers_env = { Authorization = "ESP_AUTH" }',
            'headers_env = { Authorization = "ESP_AUTH" }\nheaders = { authorization = "x" }',
            "header(s) authorization set in both headers and headers_env",
        ),
        (
            'headers_env = { Authorization = "ESP_AUTH" }',
            'headers_env = { Authorization = "ESP_AUTH" }\nsuccess_status = [99]',
            "environments.esp.http.success_status[0]: must be at least 100",
        ),
    ],
)
def test_broken_http_send_settings_are_named_at_load(old: str, new: str, expected: str) -> None:
    """A body template that is not JSON, or a plaintext API URL, is a config error."""
    assert old in HTTP
    assert expected in problems(HTTP.replace(old, new, 1))


def test_smtp_and_http_together_are_refused() -> None:
    """One sending path per environment: which one a pass proves must be unambiguous."""
    text = BASE + '[environments.staging.http]\nurl = "https://x.test/"\nbody_template = "{}"\n'
    assert "set either smtp or http as the sending path, not both" in problems(text)


def test_secrets_are_resolved_from_the_named_variables() -> None:
    """The monitor reads password_env at the edge; the checks get plain values."""
    env = load(BASE).environments["staging"]
    environ = {"STAGING_SMTP_PASSWORD": "relay-pw", "STAGING_IMAP_PASSWORD": "imap-pw"}
    sender = sender_config("staging", env, environ)
    inbox = inbox_config("staging", env, environ)
    assert isinstance(sender, SmtpSendConfig)
    assert (sender.username, sender.password) == ("canary", "relay-pw")
    assert "relay-pw" not in repr(sender)
    assert isinstance(inbox, ImapInboxConfig)
    assert (inbox.username, inbox.password, inbox.effective_port) == ("seed", "imap-pw", 993)
    assert "imap-pw" not in repr(inbox)


def test_unset_secret_variable_names_key_and_variable() -> None:
    """A missing secret is a config problem, never a confusing AUTH failure."""
    env = load(BASE).environments["staging"]
    with pytest.raises(ConfigError) as info:
        sender_config("staging", env, {})
    assert info.value.problems == [
        "environments.staging.smtp.password_env: environment variable STAGING_SMTP_PASSWORD "
        "is not set (it holds the secret)"
    ]


def test_http_and_maildir_configs_are_built() -> None:
    """The HTTP path carries its secret headers apart from plain ones; Maildir needs none."""
    env = load(HTTP).environments["esp"]
    sender = sender_config("esp", env, {"ESP_AUTH": "Bearer k-123"})
    assert isinstance(sender, HttpSendConfig)
    assert dict(sender.secret_headers) == {"Authorization": "Bearer k-123"}
    assert "k-123" not in repr(sender)
    inbox = inbox_config("esp", env, {})
    assert isinstance(inbox, MaildirInboxConfig)
    assert inbox.path == "/var/mail/seed/Maildir"


def test_smtp_check_config_follows_the_relay_settings() -> None:
    """The relay probe checks what the sender will use, and knows AUTH is required."""
    check = smtp_check_config(load(BASE).environments["staging"])
    assert check is not None
    assert (check.host, check.port, check.security, check.auth_required) == (
        "relay.example.test",
        587,
        "starttls",
        True,
    )
    assert smtp_check_config(load(HTTP).environments["esp"]) is None
