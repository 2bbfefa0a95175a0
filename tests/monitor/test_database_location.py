"""Where the database lives is decided by the config file, never by the working directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import ConfigError, load_settings, parse_settings
from monitor.config.database_location import (
    default_database_path,
    resolve_database_url,
    state_directory,
)
from tests.monitor._broken_db import run_cli

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, database: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'{database}\n[[domains]]\nname = "example.test"\n', encoding="utf-8")
    return path


def test_relative_sqlite_path_is_next_to_the_config_not_the_working_directory(
    tmp_path: Path,
) -> None:
    """cron, systemd and a shell in another folder must all reach the same database."""
    config = _write(tmp_path / "etc" / "sw.toml", '[database]\nurl = "sqlite:///state/sw.db"')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_cli(["db", "upgrade", "--config", config], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    created = tmp_path / "etc" / "state" / "sw.db"
    assert created.exists()
    assert list(elsewhere.iterdir()) == []
    assert proc.stderr == f"senderwatch: created database {created}\n"


def test_without_a_url_the_database_is_per_config_under_xdg_state_home(tmp_path: Path) -> None:
    """No url: a file named after the config in $XDG_STATE_HOME/senderwatch, announced once."""
    config = _write(tmp_path / "conf" / "senderwatch.toml")
    state = tmp_path / "xdg-state"
    env_home = {"XDG_STATE_HOME": str(state)}
    first = _run_with_env(["db", "upgrade", "--config", config], tmp_path, env_home)
    assert first.returncode == 0, first.stderr
    expected = state / "senderwatch" / "senderwatch.db"
    assert expected.exists()
    assert first.stderr == f"senderwatch: created database {expected}\n"
    again = _run_with_env(["db", "upgrade", "--config", config], tmp_path, env_home)
    assert (again.returncode, again.stderr) == (0, "")


def _run_with_env(
    args: list[str | Path], cwd: Path, extra: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SENDERWATCH_CONFIG"} | extra
    return subprocess.run(
        [sys.executable, "-m", "monitor", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_state_home_falls_back_to_local_state_when_unset_or_relative() -> None:
    """The XDG rule: unset or relative XDG_STATE_HOME means ~/.local/state."""
    home = {"HOME": "/home/op"}
    assert state_directory(home) == Path("/home/op/.local/state/senderwatch")
    assert state_directory(home | {"XDG_STATE_HOME": "rel/state"}) == Path(
        "/home/op/.local/state/senderwatch"
    )
    assert state_directory(home | {"XDG_STATE_HOME": "/var/lib/sw"}) == Path(
        "/var/lib/sw/senderwatch"
    )


def test_the_example_config_never_shares_a_database_with_the_copy_made_from_it(
    tmp_path: Path,
) -> None:
    """Trying config.example.toml must not leave example domains firing in the database the
    person's own senderwatch.toml (a copy of it, in the same folder) then uses."""
    example = tmp_path / "config.example.toml"
    shutil.copy(REPO / "config.example.toml", example)
    copy = tmp_path / "senderwatch.toml"
    shutil.copy(example, copy)
    example_url = load_settings(example).database.url
    own_url = load_settings(copy).database.url
    assert example_url != own_url
    assert own_url == f"sqlite:///{default_database_path(copy)}"
    assert os.environ["XDG_STATE_HOME"] in example_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///sw.db", "sqlite:////cfg/sw.db"),
        ("sqlite:///../data/sw.db", "sqlite:////cfg/../data/sw.db"),
        ("sqlite:////abs/sw.db", "sqlite:////abs/sw.db"),
        ("sqlite:///file:sw.db?mode=ro&uri=true", "sqlite:///file:/cfg/sw.db?mode=ro&uri=true"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        (
            "postgresql+psycopg://watcher:s3cret@db.example.test/sw",
            "postgresql+psycopg://watcher:s3cret@db.example.test/sw",
        ),
    ],
)
def test_url_forms_resolve_against_the_config_folder(url: str, expected: str) -> None:
    """Only relative SQLite files move; servers (password intact), memory and absolute paths
    are used as written."""
    assert resolve_database_url(url, Path("/cfg/senderwatch.toml")) == expected


def test_home_in_a_sqlite_path_is_expanded() -> None:
    """SQLite itself would create a folder literally named "~" in the working directory."""
    resolved = resolve_database_url("sqlite:///~/sw.db", Path("/cfg/s.toml"))
    assert resolved == f"sqlite:///{Path('~/sw.db').expanduser()}"


def test_run_lease_out_of_range_is_a_config_error() -> None:
    """A lease shorter than its heartbeat could reap live runs; the bound is named."""
    with pytest.raises(ConfigError) as caught:
        parse_settings({"database": {"run_lease": 1}}, "c.toml")
    assert caught.value.problems == ["c.toml: database.run_lease: must be at least 2; got 1"]
