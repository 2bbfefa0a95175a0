"""One daemon per SQLite file: an flock on `<database>.lock` holding the owner's pid.

Two daemons on one SQLite file would both run every job and fight over the writer lock.
The kernel drops an flock when its process dies, however it dies, so a stale lock file never
blocks a restart; the pid inside only tells the person which process to look at.
PostgreSQL databases are not locked: several replicas may share one (runs carry leases).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from monitor.errors import ExitCode, UserFacingError

__all__ = ["DaemonLock", "DaemonLocked", "sqlite_path"]


class DaemonLocked(UserFacingError):
    """Another process already runs the daemon on this database."""

    exit_code = ExitCode.CONFIG


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL, or None (in-memory, or not SQLite)."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme.split("+")[0] != "sqlite":
        return None
    path = rest.split("?")[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


class DaemonLock:
    """Held for the daemon's lifetime: `with DaemonLock(url): ...`."""

    def __init__(self, database_url: str) -> None:
        db_path = sqlite_path(database_url)
        self.path = None if db_path is None else db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `DaemonLocked` naming the holder's pid."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise DaemonLocked(
                f"another senderwatch run (pid {holder}) already uses this database "
                f"(lock file {self.path}); stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays: removing it would race a starter."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
