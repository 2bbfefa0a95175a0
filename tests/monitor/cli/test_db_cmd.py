"""`senderwatch db upgrade` on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from monitor.storage.engine import redacted_url
from monitor.storage.migrate import head_revisions
from tests.monitor.cli.conftest import Invoke


def test_db_upgrade_migrates_an_empty_database_then_is_a_no_op(
    invoke: Invoke, database_url: str, tmp_path: Path
) -> None:
    """An operator can migrate before deploying; running it again changes nothing."""
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n')
    heads = ", ".join(head_revisions())
    first = invoke("db", "upgrade", "--config", config)
    assert first.exit_code == 0, first.output
    assert first.stdout == f"database {redacted_url(database_url)}: at {heads} (was empty)\n"
    again = invoke("db", "upgrade", "--config", config)
    assert again.stdout == f"database {redacted_url(database_url)}: at {heads} (was {heads})\n"


def test_db_upgrade_on_an_unreachable_server_is_exit_4_without_password(
    invoke: Invoke, tmp_path: Path
) -> None:
    """A wrong URL or a server that is down is reported in one line, password masked."""
    config = tmp_path / "c.toml"
    config.write_text(
        '[database]\nurl = "postgresql+psycopg://watcher:s3cret@127.0.0.1:1/senderwatch"\n'
    )
    result = invoke("db", "upgrade", "--config", config)
    assert result.exit_code == 4
    assert result.stderr.startswith(
        "error: database postgresql+psycopg://watcher:***@127.0.0.1:1/senderwatch cannot be "
    )
    assert "s3cret" not in result.output
