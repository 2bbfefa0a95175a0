"""Real damaged databases for fault tests: junk files, torn pages, newer schemas, read-only files.

Everything here breaks a real SQLite file the way it breaks in the field; nothing is mocked.
Root ignores file modes, so `without_file_override` runs a command without the capabilities
that let root write a read-only file (as any service user runs it).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from monitor.storage import open_database

__all__ = [
    "COMMANDS",
    "corrupt_pages",
    "corrupt_table",
    "fingerprint",
    "make_junk",
    "migrated_sqlite",
    "run_cli",
    "stamp_future",
]

# The commands every database fault must be reported by in one line, exit 4.
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("check",),
    ("baseline", "show"),
    ("alerts", "list"),
    ("db", "upgrade"),
)


def migrated_sqlite(path: Path) -> Path:
    """A real senderwatch database at the newest schema."""
    open_database(f"sqlite:///{path}", on_create=None).dispose()
    return path


def make_junk(path: Path, size: int = 64 * 1024) -> Path:
    """A file of random bytes where the database should be (a wrong path, a stray download)."""
    path.write_bytes(random.Random(7).randbytes(size))
    return path


def _page_size(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])


def corrupt_pages(path: Path, first: int = 2) -> Path:
    """Overwrite every page from `first` (1-based) on with garbage; page 1 (the header) stays,
    so SQLite opens the file and only finds the damage when it reads the schema."""
    size = _page_size(path)
    data = path.read_bytes()
    keep = size * (first - 1)
    path.write_bytes(data[:keep] + random.Random(11).randbytes(len(data) - keep))
    return path


def corrupt_table(path: Path, table: str) -> Path:
    """Overwrite the root pages of one table and its indexes: the database opens and
    migrates, and the damage shows only when that table is read (a torn write on a live
    system)."""
    with closing(sqlite3.connect(path)) as conn:
        roots = [
            int(row[0])
            for row in conn.execute(
                "SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0", (table,)
            )
        ]
    size = _page_size(path)
    noise = random.Random(13)
    with path.open("r+b") as handle:
        for root in roots:
            handle.seek(size * (root - 1))
            handle.write(noise.randbytes(size))
    return path


def stamp_future(path: Path, revision: str = "9999_future") -> Path:
    """Mark the database as migrated by a newer senderwatch (one head replaced by `revision`)."""
    with closing(sqlite3.connect(path)) as conn:
        head = conn.execute("SELECT max(version_num) FROM alembic_version").fetchone()[0]
        conn.execute(
            "UPDATE alembic_version SET version_num = ? WHERE version_num = ?", (revision, head)
        )
        conn.commit()
    return path


def fingerprint(path: Path) -> str:
    """The file's bytes, hashed, plus its WAL's: what "nothing written" is checked against.

    The helpers above close their connections, so the WAL is folded into the file first.
    """
    digest = hashlib.sha256(path.read_bytes())
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


def run_cli(
    args: Sequence[str | Path], *, cwd: Path, honour_file_modes: bool = False
) -> subprocess.CompletedProcess[str]:
    """`python -m monitor ARGS` in a child process, as a person or cron runs it.

    With `honour_file_modes`, a root caller drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    for the child (util-linux `setpriv`), so a 0444 file is as read-only to it as to a
    service user.
    """
    command = [sys.executable, "-m", "monitor", *map(str, args)]
    if honour_file_modes and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise RuntimeError("setpriv (util-linux) is needed to run as root without DAC override")
        command = [
            setpriv,
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-all",
            *command,
        ]
    env = {k: v for k, v in os.environ.items() if k != "SENDERWATCH_CONFIG"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False
    )
