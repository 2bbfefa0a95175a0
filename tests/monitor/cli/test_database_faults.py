"""Database faults on every command that opens the database: one line, exit 4, nothing written.

Each fault is a real file broken as it breaks in the field (random bytes, torn pages, a schema
from a newer release, a read-only file or mount, a server that is down), and each command is
the real CLI. Exit 1 means "a check failed"; a broken database must never look like that.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from monitor.errors import ExitCode
from monitor.storage import open_database
from tests.monitor._broken_db import (
    COMMANDS,
    corrupt_pages,
    corrupt_table,
    fingerprint,
    make_junk,
    migrated_sqlite,
    run_cli,
    stamp_future,
)
from tests.monitor.cli.conftest import Invoke, config_text
from tests.support.postgres import PostgresServer

# Nothing listens here: `check` fails on the database before it sends a single query.
UNUSED_NAMESERVER = "127.0.0.1:9"


def _config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "senderwatch.toml"
    path.write_text(
        config_text(nameserver=UNUSED_NAMESERVER, database_url=database_url), encoding="utf-8"
    )
    return path


def _assert_one_line(stdout: str, stderr: str, exit_code: int, where: str, *words: str) -> str:
    assert exit_code == ExitCode.DATABASE, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"error: database {where} "), lines[0]
    for word in words:
        assert word in lines[0]
    return lines[0]


def _assert_fault(result: Result, where: str, *words: str) -> str:
    return _assert_one_line(result.stdout, result.stderr, result.exit_code, where, *words)


Breaker = Callable[[Path], Path]

SQLITE_FAULTS: dict[str, tuple[Breaker, tuple[str, ...]]] = {
    "random bytes": (
        make_junk,
        ("is not a SQLite database", "file is not a database", "move this one aside"),
    ),
    "torn pages": (
        lambda p: corrupt_pages(migrated_sqlite(p)),
        ("is damaged", "database disk image is malformed", "restore it from a backup"),
    ),
    "newer schema": (
        lambda p: stamp_future(migrated_sqlite(p)),
        ("9999_future", "newer than this senderwatch", "upgrade senderwatch"),
    ),
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("fault", list(SQLITE_FAULTS))
def test_broken_sqlite_database_is_one_line_exit_4_and_untouched(
    invoke: Invoke, tmp_path: Path, fault: str, command: tuple[str, ...]
) -> None:
    """Junk, torn pages and a newer schema are named with the file and a remedy, not a
    traceback that exits 1 (which reads as "a check failed"), and the file stays as it was."""
    breaker, words = SQLITE_FAULTS[fault]
    path = breaker(tmp_path / "senderwatch.db")
    before = fingerprint(path)
    config = _config(tmp_path, f"sqlite:///{path}")
    _assert_fault(invoke(*command, "--config", config), str(path), *words)
    assert fingerprint(path) == before


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_sqlite_opened_read_only_by_uri_is_refused_before_writing(
    invoke: Invoke, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`?mode=ro` opens without complaint and grants even BEGIN IMMEDIATE; the fault must
    still come before the first write, so `check` stores no half run."""
    path = migrated_sqlite(tmp_path / "senderwatch.db")
    before = fingerprint(path)
    config = _config(tmp_path, f"sqlite:///file:{path}?mode=ro&uri=true")
    _assert_fault(
        invoke(*command, "--config", config),
        str(path),
        "is read-only",
        "attempt to write a readonly database",
        "writable",
    )
    assert fingerprint(path) == before


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A migrated database in a folder where neither the file nor the folder is writable."""
    folder = tmp_path / "state"
    folder.mkdir()
    migrated_sqlite(folder / "senderwatch.db")
    (folder / "senderwatch.db").chmod(0o444)
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_read_only_file_is_one_line_exit_4_in_a_real_process(
    read_only_folder: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The commonest field case: the service user may not write the file its config names."""
    path = read_only_folder / "senderwatch.db"
    before = fingerprint(path)
    config = _config(tmp_path, f"sqlite:///{path}")
    proc = run_cli([*command, "--config", config], cwd=tmp_path, honour_file_modes=True)
    _assert_one_line(
        proc.stdout, proc.stderr, proc.returncode, str(path), "is read-only", "writable"
    )
    assert fingerprint(path) == before
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444


def test_damage_found_mid_run_is_one_line_exit_4(invoke: Invoke, tmp_path: Path) -> None:
    """A torn page in a table the open never reads surfaces inside the command's own
    transaction; it is reported like any other fault, not as a traceback."""
    path = migrated_sqlite(tmp_path / "senderwatch.db")
    corrupt_table(path, "baselines")
    config = _config(tmp_path, f"sqlite:///{path}")
    _assert_fault(invoke("baseline", "show", "--config", config), str(path), "is damaged")


def test_the_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    """`python -m monitor`, not the test runner, is what operators see."""
    path = make_junk(tmp_path / "senderwatch.db")
    config = _config(tmp_path, f"sqlite:///{path}")
    proc = run_cli(["check", "--config", config], cwd=tmp_path)
    _assert_one_line(
        proc.stdout, proc.stderr, proc.returncode, str(path), "is not a SQLite database"
    )


@pytest.fixture(scope="module")
def stopped_postgres() -> str:
    """A URL (with a password) of a migrated PostgreSQL database whose server has stopped."""
    server = PostgresServer().start()
    try:
        url = server.create_database("gone").replace("postgres@", "postgres:s3cret@")
        open_database(url).dispose()
    finally:
        server.stop()
    return url


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_postgresql_server_down_is_one_line_exit_4_without_password(
    invoke: Invoke, tmp_path: Path, stopped_postgres: str, command: tuple[str, ...]
) -> None:
    """A server that went down is named (password masked) with what to check."""
    config = _config(tmp_path, stopped_postgres)
    where = stopped_postgres.replace("s3cret", "***")
    line = _assert_fault(
        invoke(*command, "--config", config), where, "cannot be reached", "server is running"
    )
    assert "s3cret" not in line
