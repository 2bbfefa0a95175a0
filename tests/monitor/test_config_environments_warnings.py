"""Cross-environment warnings: staging must not send as, or read the proof of, production."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import Settings, parse_settings
from monitor.config.warnings import environment_warnings


def environment(
    name: str,
    *,
    sender: str = "canary@{name}.example.test",
    relay_user: str = "{name}-canary",
    inbox_user: str = "{name}-seed",
    folder: str = "INBOX",
) -> str:
    fill = {"name": name}
    return f"""
[environments.{name}]
domain = "example.test"
from = "{sender.format(**fill)}"
to = "seed@inbox.example.test"
[environments.{name}.smtp]
host = "relay.example.test"
username = "{relay_user.format(**fill)}"
password_env = "{name.upper()}_SMTP_PASSWORD"
[environments.{name}.inbox]
kind = "imap"
host = "imap.example.test"
username = "{inbox_user.format(**fill)}"
password_env = "{name.upper()}_IMAP_PASSWORD"
folder = "{folder}"
trusted_authserv_ids = ["mx.inbox.example.test"]
"""


def settings(*tables: str) -> Settings:
    return parse_settings(tomllib.loads("\n".join(tables)))


def test_separate_environments_give_no_warning() -> None:
    """Own From domain, own relay login, own inbox: nothing to say."""
    assert environment_warnings(settings(environment("staging"), environment("production"))) == []


def test_shared_from_domain_is_warned() -> None:
    """Staging sending as production's From domain proves nothing about staging."""
    warnings = environment_warnings(
        settings(
            environment("staging", sender="canary@mail.example.test"),
            environment("production", sender="other@MAIL.example.test"),
        )
    )
    assert warnings == [
        "environments production, staging share one From domain (mail.example.test): "
        "staging must not send as production"
    ]


def test_shared_relay_credentials_are_warned() -> None:
    """Same relay host and username: staging's canary rides production's sending path."""
    warnings = environment_warnings(
        settings(
            environment("staging", relay_user="canary"),
            environment("production", relay_user="canary"),
        )
    )
    assert warnings == [
        "environments production, staging share one relay credentials "
        "(canary at relay.example.test): each environment must prove its own sending path"
    ]


def test_shared_inbox_is_warned_but_another_folder_is_not() -> None:
    """Same mailbox and folder: one reader may delete the other's proof."""
    shared = environment_warnings(
        settings(
            environment("staging", inbox_user="seed"), environment("production", inbox_user="seed")
        )
    )
    assert len(shared) == 1
    assert "share one inbox (seed at imap.example.test folder INBOX)" in shared[0]
    apart = environment_warnings(
        settings(
            environment("staging", inbox_user="seed", folder="staging"),
            environment("production", inbox_user="seed"),
        )
    )
    assert apart == []


def test_shared_maildir_path_is_warned() -> None:
    """Two environments reading one local Maildir are the same inbox."""
    maildir = """
[environments.{name}.inbox]
kind = "maildir"
path = "/var/mail/seed/Maildir{slash}"
trusted_authserv_ids = ["mx.inbox.example.test"]
"""
    tables = []
    for name, slash in (("staging", "/"), ("production", "")):
        head = environment(name).split(f"[environments.{name}.inbox]")[0]
        tables.append(head + maildir.format(name=name, slash=slash))
    [warning] = environment_warnings(settings(*tables))
    assert "share one inbox (maildir /var/mail/seed/Maildir folder INBOX)" in warning


def test_config_validate_prints_the_warnings(tmp_path: Path) -> None:
    """`senderwatch config validate` shows them to the operator and still exits 0."""
    path = tmp_path / "senderwatch.toml"
    path.write_text(
        environment("staging", inbox_user="seed") + environment("production", inbox_user="seed")
    )
    result = CliRunner().invoke(cli, ["config", "validate", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: environments production, staging share one inbox" in result.output
