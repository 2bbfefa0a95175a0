"""`senderwatch run` under systemd's `Type=notify` with a watchdog, seen from the socket systemd
would listen on: READY once the jobs and the listener are up, WATCHDOG while the scheduler
lives, STOPPING on SIGTERM."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

from tests.daemon._process import DaemonProcess, daemon_config

StartDaemon = Callable[..., DaemonProcess]


def _messages(sock: socket.socket, until: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            seen.append(sock.recv(4096).decode())
        except TimeoutError:
            break
        if any(until in m for m in seen):
            break
    return seen


def test_the_daemon_tells_systemd_ready_watchdog_and_stopping(
    tmp_path: Path, nameserver: str, start_daemon: StartDaemon
) -> None:
    """The unit's Type=notify and WatchdogSec work only if the daemon speaks the protocol."""
    db = tmp_path / "sw.db"
    config = tmp_path / "sw.toml"
    config.write_text(daemon_config(nameserver=nameserver, database=db), encoding="utf-8")
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        daemon = start_daemon(config, env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
        started = _messages(sock, "READY=1", 30)
        assert "READY=1" in started, daemon.log
        fed = _messages(sock, "WATCHDOG=1", 10)
        assert "WATCHDOG=1" in fed, daemon.log
        daemon.proc.terminate()
        stopping = _messages(sock, "STOPPING=1", 30)
        assert "STOPPING=1" in stopping, daemon.log
        assert daemon.proc.wait(timeout=30) == 0
