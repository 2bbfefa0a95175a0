"""Process plumbing for the mail lab: daemons in the lab namespace, a syslog sink, readiness.

Every daemon runs in the foreground as a child of the test process (so its pid is known and a
crash is seen), inside the lab's network namespace, with stdin from /dev/null and stdout/stderr
to a log file of its own: a daemon must never inherit the caller's stdout, or a caller piping
pytest's output waits for it forever.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tests.support.mail_lab_netns import LabNamespace

__all__ = ["Daemon", "SyslogSink", "wait_for_port", "wait_for_smtp_banner"]

LAB_EXEC = Path(__file__).parent / "mail_lab_templates" / "lab-exec.sh"


class Daemon:
    """One lab daemon: started inside the namespace, logged to `log_path`, stopped by pid."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        ns: LabNamespace,
        workdir: Path,
        pid_file: Path | None = None,
    ) -> None:
        self.name = name
        self.pid_file = pid_file  # a daemon that makes its own session (Postfix's master -s)
        self.argv = list(argv)
        self.ns = ns
        self.workdir = workdir
        self.log_path = workdir / "logs" / f"{name}.out"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Launch through lab-exec.sh, which gives the daemon the lab's /dev/log."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.ns.command(["/bin/sh", str(LAB_EXEC), str(self.workdir), *self.argv]),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def exited(self) -> int | None:
        """The exit code if the daemon has died, else None."""
        return self._proc.poll() if self._proc else None

    def _groups(self) -> list[int]:
        """Process groups to signal: ours (a session leader) and the daemon's own, if any."""
        groups = [self._proc.pid] if self._proc is not None else []
        if self.pid_file is not None:
            with contextlib.suppress(OSError, ValueError):
                groups.append(int(self.pid_file.read_text().split()[0]))
        return groups

    def _signal(self, sig: signal.Signals) -> None:
        for group in self._groups():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, sig)

    def terminate(self) -> None:
        """Send SIGTERM to the daemon's process group(s)."""
        self._signal(signal.SIGTERM)

    def wait_or_kill(self, deadline: float) -> None:
        """Wait for the daemon to exit until `deadline`, then SIGKILL its process group.

        OpenDKIM and OpenDMARC linger up to 15 s after SIGTERM; the lab keeps no state worth
        that wait, so they are killed at the deadline.
        """
        proc = self._proc
        if proc is None:
            return
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            proc.wait(timeout=10)
        self._signal(signal.SIGKILL)  # children that outlived their parent
        self._proc = None

    def stop(self, timeout: float = 3.0) -> None:
        """Terminate and wait (see `wait_or_kill`)."""
        self.terminate()
        self.wait_or_kill(time.monotonic() + timeout)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class SyslogSink:
    """A /dev/log for the lab: receives syslog datagrams and appends them to a file.

    OpenDKIM, OpenDMARC and policyd-spf log only through syslog(3); lab-exec.sh points their
    /dev/log here. Lines are prefixed with the receive time (microseconds), so the benchmark
    and failure reports can line them up with Postfix's maillog.
    """

    _PRI = re.compile(rb"^<\d+>")

    def __init__(self, socket_path: Path, log_path: Path) -> None:
        self.socket_path = socket_path
        self.log_path = log_path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(socket_path))
        socket_path.chmod(0o666)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-lab-syslog", daemon=True)

    def start(self) -> SyslogSink:
        self._thread.start()
        return self

    def _run(self) -> None:
        self._sock.settimeout(0.2)
        with self.log_path.open("ab", buffering=0) as out:
            while not self._stop.is_set():
                try:
                    data = self._sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S.%f").encode()
                out.write(stamp + b" " + self._PRI.sub(b"", data).rstrip(b"\n\0") + b"\n")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


def wait_for_port(host: str, port: int, deadline: float, what: str, daemon: Daemon) -> None:
    """Wait until `host:port` accepts TCP (call from inside the namespace)."""
    while time.monotonic() < deadline:
        if (code := daemon.exited()) is not None:
            raise RuntimeError(f"{what} exited with {code}:\n{daemon.output()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {host}:{port}:\n{daemon.output()[-3000:]}")


def wait_for_smtp_banner(host: str, port: int, deadline: float, daemon: Daemon) -> None:
    """Wait for a 220 greeting: Postfix listens before its smtpd can answer."""
    last = ""
    while time.monotonic() < deadline:
        if (code := daemon.exited()) is not None:
            raise RuntimeError(f"{daemon.name} exited with {code}:\n{daemon.output()[-3000:]}")
        try:
            with socket.create_connection((host, port), timeout=2) as sock:
                sock.settimeout(2)
                last = sock.recv(512).decode(errors="replace")
                if last.startswith("220"):
                    sock.sendall(b"QUIT\r\n")
                    return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.05)
    raise RuntimeError(f"{daemon.name} gave no 220 on {host}:{port} (last: {last!r})")
