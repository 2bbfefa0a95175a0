"""The single-daemon lock: one holder per SQLite file, released with its holder, none for
databases that are not files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.daemon.lock import DaemonLock, DaemonLocked, sqlite_path


def test_lock_names_the_holder_and_frees_when_released(tmp_path: Path) -> None:
    """A second holder is refused with the first one's pid; after release it may start."""
    url = f"sqlite:///{tmp_path / 'state' / 'sw.db'}"
    first = DaemonLock(url)
    first.acquire()
    with pytest.raises(DaemonLocked, match=rf"pid {os.getpid()}\b"):
        DaemonLock(url).acquire()
    assert (tmp_path / "state" / "sw.db.lock").read_text() == f"{os.getpid()}\n"
    first.release()
    with DaemonLock(url):
        pass


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////var/lib/sw/sw.db", Path("/var/lib/sw/sw.db")),
        ("sqlite+pysqlite:////x/sw.db?timeout=5", Path("/x/sw.db")),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("postgresql+psycopg://u@db/sw", None),
    ],
)
def test_only_sqlite_files_are_locked(url: str, path: Path | None) -> None:
    """PostgreSQL is shared by design and an in-memory database by nobody: no lock file."""
    assert sqlite_path(url) == path
