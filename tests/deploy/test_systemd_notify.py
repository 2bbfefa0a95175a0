"""sd_notify against a real Unix datagram socket the test binds, as systemd would."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.daemon import systemd


class Receiver:
    """A bound datagram socket standing in for the service manager's notify socket."""

    def __init__(self, sock: socket.socket, name: str) -> None:
        self.sock = sock
        self.name = name  # what goes in NOTIFY_SOCKET

    def env(self, **extra: str) -> dict[str, str]:
        """An environment naming this receiver, plus `extra` variables."""
        return {"NOTIFY_SOCKET": self.name, **extra}

    def received(self) -> list[str]:
        """Every datagram queued so far (sends on Unix sockets are synchronous)."""
        messages = []
        while True:
            try:
                messages.append(self.sock.recv(4096).decode("utf-8"))
            except BlockingIOError:
                return messages


@pytest.fixture
def path_receiver() -> Iterator[Receiver]:
    """A socket on a file path (kept short: Unix socket paths stop at 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="sw-notify-")
    path = str(Path(folder) / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    try:
        yield Receiver(sock, path)
    finally:
        sock.close()
        shutil.rmtree(folder)


@pytest.fixture
def abstract_receiver() -> Iterator[Receiver]:
    """A socket in the abstract namespace, named "@..." the way systemd writes it."""
    name = f"senderwatch-test-{secrets.token_hex(8)}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.setblocking(False)
    try:
        yield Receiver(sock, "@" + name)
    finally:
        sock.close()


def test_lifecycle_messages_reach_a_path_socket_exactly(path_receiver: Receiver) -> None:
    """READY, STATUS and STOPPING arrive as one datagram each, in the protocol's exact form."""
    env = path_receiver.env()
    assert systemd.ready(env)
    assert systemd.status("checking 3 domains", env)
    assert systemd.stopping(env)
    assert path_receiver.received() == ["READY=1", "STATUS=checking 3 domains", "STOPPING=1"]


def test_at_sign_names_the_abstract_namespace(abstract_receiver: Receiver) -> None:
    """systemd's "@name" means the abstract socket "\\0name", not a file called "@name"."""
    env = abstract_receiver.env(WATCHDOG_USEC="60000000")
    assert systemd.ready(env)
    assert systemd.watchdog(env)
    assert abstract_receiver.received() == ["READY=1", "WATCHDOG=1"]


def test_watchdog_pings_only_when_the_watchdog_is_on(path_receiver: Receiver) -> None:
    """Without WATCHDOG_USEC systemd expects no pings, so none are sent."""
    assert not systemd.watchdog(path_receiver.env())
    assert not systemd.watchdog(path_receiver.env(WATCHDOG_USEC="0"))
    assert path_receiver.received() == []


def test_watchdog_of_another_process_is_left_alone(path_receiver: Receiver) -> None:
    """A WATCHDOG_PID that is not ours (inherited by a child) means: not our watchdog."""
    env = path_receiver.env(WATCHDOG_USEC="30000000", WATCHDOG_PID=str(os.getpid() + 1))
    assert systemd.watchdog_interval(env) is None
    assert not systemd.watchdog(env)
    assert path_receiver.received() == []


def test_watchdog_with_our_pid_pings(path_receiver: Receiver) -> None:
    """WATCHDOG_PID equal to our pid is the normal case under NotifyAccess=main."""
    env = path_receiver.env(WATCHDOG_USEC="30000000", WATCHDOG_PID=str(os.getpid()))
    assert systemd.watchdog(env)
    assert path_receiver.received() == ["WATCHDOG=1"]


def test_watchdog_interval_is_half_the_timeout() -> None:
    """sd_watchdog_enabled(3) advises pinging at half WATCHDOG_USEC."""
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "500000"}) == 0.25
    assert systemd.watchdog_interval({}) is None
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_everything_is_a_no_op_outside_systemd(path_receiver: Receiver) -> None:
    """No NOTIFY_SOCKET (a terminal, a container, cron): nothing is sent, nothing fails."""
    env = {"WATCHDOG_USEC": "60000000"}
    assert not systemd.ready(env)
    assert not systemd.watchdog(env)
    assert not systemd.stopping(env)
    assert not systemd.status("idle", env)
    assert path_receiver.received() == []


def test_a_vanished_socket_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """A notify socket that is gone must never take a check run down with it."""
    folder = tempfile.mkdtemp(prefix="sw-notify-")
    try:
        env = {"NOTIFY_SOCKET": str(Path(folder) / "gone")}
        assert not systemd.ready(env)
    finally:
        shutil.rmtree(folder)
    assert "could not notify systemd (READY=1)" in caplog.text


def test_a_non_unix_notify_socket_is_refused_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A relative name or vsock: address is not something we send to; say so once per call."""
    assert not systemd.ready({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert "is not a Unix socket path" in caplog.text


def test_status_text_cannot_inject_another_key(path_receiver: Receiver) -> None:
    """A status with a line break would otherwise send READY=1 or STOPPING=1 by accident."""
    assert systemd.status("one\nREADY=1", path_receiver.env())
    assert path_receiver.received() == ["STATUS=one READY=1"]


def test_default_environment_is_the_process_environment(
    path_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Called without an environment, as the daemon will, it reads os.environ."""
    monkeypatch.setenv("NOTIFY_SOCKET", path_receiver.name)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert systemd.watchdog_interval() == 1.0
    assert systemd.ready()
    assert systemd.watchdog()
    assert path_receiver.received() == ["READY=1", "WATCHDOG=1"]


def test_reloading_carries_a_monotonic_timestamp(path_receiver: Receiver) -> None:
    """RELOADING=1 and MONOTONIC_USEC travel in one datagram, as notify-reload requires."""
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert systemd.reloading(path_receiver.env())
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    [message] = path_receiver.received()
    first, second = message.split("\n")
    assert first == "RELOADING=1"
    key, _, value = second.partition("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(value) <= after
