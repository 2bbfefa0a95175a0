"""The daemon as a real subprocess: a config writer, a process handle, database readers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def daemon_config(
    *,
    nameserver: str,
    database: Path,
    domains: Sequence[str] = ("healthy.test",),
    every: str = "1s",
    extra: str = "",
    dns_timeout: float = 2.0,
) -> str:
    """A config whose DNS job fires every `every`, retention off, against `nameserver`."""
    lines = [
        "[database]",
        f"url = {json.dumps(f'sqlite:///{database}')}",
        "[dns]",
        f"nameservers = [{json.dumps(nameserver)}]",
        f"timeout = {dns_timeout}",
        "retries = 0",
        "[api]",
        "port = 0",  # an ephemeral port: the log says which (`HTTP on 127.0.0.1:N`)
    ]
    for name in domains:
        lines += ["[[domains]]", f"name = {json.dumps(name)}", 'checks = ["spf", "dmarc", "mx"]']
    lines += [
        "[daemon]",
        'shutdown_timeout = "3s"',
        "[daemon.jobs.dns]",
        f"every = {json.dumps(every)}",
        "[daemon.jobs.retention]",
        'every = "1d"',
        "enabled = false",
    ]
    return "\n".join(lines) + "\n" + extra


class DaemonProcess:
    """`python -m monitor run` with its stderr in a file the test reads."""

    def __init__(
        self,
        config: Path,
        log: Path,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config), *args],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 20.0, after: int = 0) -> None:
        """Wait until `text` appears in the log past offset `after`."""
        try:
            wait_for(lambda: text in self.log[after:], timeout, f"{text!r} in the log")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the log:\n{self.log}") from None

    def signal(self, signum: signal.Signals) -> None:
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and the exit code (the process is killed, and the test fails, past it)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"daemon did not stop within {timeout}s:\n{self.log}") from None
        finally:
            self._log.close()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows from the daemon's SQLite database (read-only, its own connection); none while
    the schema is not there yet."""
    if not database.exists():
        return []
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the daemon is still creating the schema
            return []
        raise
    finally:
        conn.close()


@contextlib.contextmanager
def daemon_starter(log_dir: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """`start(config, name="daemon", env=None, args=())` starts a daemon logging to
    `log_dir/NAME.log`; any still running when the block ends are killed."""
    started: list[DaemonProcess] = []

    def start(config: Path, name: str = "daemon", *args: Any, **kwargs: Any) -> DaemonProcess:
        process = DaemonProcess(config, log_dir / f"{name}.log", *args, **kwargs)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.proc.poll() is None:
                process.proc.kill()
                process.proc.wait()
