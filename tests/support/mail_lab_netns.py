"""A private network namespace for the mail lab, and a way into it from Python.

Why a namespace: the lab's daemons need fixed, well-known ports (DNS on 53, SMTP on 25, IMAP on
143) and several loopback addresses, so that SPF is evaluated against a real connecting IP
(127.0.0.10 is the relay, 127.0.0.11 a shadow sender, 127.0.0.20 the receiver). Inside a
namespace of its own, the lab owns all of 127.0.0.0/8: no clash with the machine, with another
test session, or with a real resolver. Its `resolv.conf` (`/etc/netns/NAME/resolv.conf`, which
`ip netns exec` bind-mounts over `/etc/resolv.conf`) points at the lab's DNS server, so Postfix,
OpenDMARC and the SPF policy daemon resolve lab domains like any domain.

How the test process gets in: a network namespace is a per-thread attribute on Linux, so
`LabNamespace.entered()` moves only the calling thread in (setns) and back out afterwards.
Sockets opened inside stay in the namespace; threads started inside inherit it; so do child
processes. Python code under test (smtplib, imaplib, the canary round trip) therefore runs
unchanged inside `with ns.entered():`. Host name resolution inside that block still uses the
machine's `/etc/resolv.conf` (mount namespaces cannot be per-thread), so in-process code is
given IP addresses and explicit nameservers; subprocesses that need the lab resolver are
started with `ns.command(...)` (`ip netns exec`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["LabNamespace", "NamespaceUnavailableError"]

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
IP = shutil.which("ip") or "/usr/sbin/ip"


class NamespaceUnavailableError(RuntimeError):
    """The lab cannot create a network namespace (not root, or no CAP_SYS_ADMIN)."""


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns(CLONE_NEWNET) failed: {os.strerror(err)}")


class LabNamespace:
    """A named network namespace with `lo` up and its own resolv.conf; removed by `delete()`."""

    def __init__(self, prefix: str = "sw-lab-", nameserver: str = "127.0.0.1") -> None:
        self.name = f"{prefix}{secrets.token_hex(4)}"
        self.nameserver = nameserver
        self._etc = Path("/etc/netns") / self.name
        self._created = False

    def create(self, addresses: Sequence[str] = ()) -> LabNamespace:
        """Create the namespace, bring loopback up with `addresses` and write its resolv.conf.

        All of 127.0.0.0/8 reaches `lo` anyway, but Postfix's inet_interfaces insists on an
        address configured on an interface, and an explicit address documents who is who.
        """
        if os.geteuid() != 0:
            raise NamespaceUnavailableError(
                "the mail lab needs root (network namespace, ports 25/53/143, daemons that "
                "drop privileges); run the e2e tests as root, e.g. in the CI container"
            )
        proc = subprocess.run(
            [IP, "netns", "add", self.name], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise NamespaceUnavailableError(
                f"`ip netns add {self.name}` failed: {proc.stderr.strip()}"
            )
        self._created = True
        self._etc.mkdir(parents=True, exist_ok=True)
        (self._etc / "resolv.conf").write_text(
            f"nameserver {self.nameserver}\noptions timeout:1 attempts:2\n"
        )
        self.run(["ip", "link", "set", "lo", "up"])
        for address in addresses:
            self.run(["ip", "addr", "add", f"{address}/8", "dev", "lo"])
        return self

    def command(self, argv: Sequence[str]) -> list[str]:
        """`argv` prefixed to run inside the namespace, with the lab's resolv.conf."""
        return [IP, "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run a short command inside the namespace; raise with its output if it fails."""
        proc = subprocess.run(
            self.command(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed in {self.name} ({proc.returncode}): "
                f"{proc.stdout.strip()} {proc.stderr.strip()}"
            )
        return proc

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Move the calling thread into the namespace for the block, then back where it was."""
        here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
            try:
                _setns(target)
            finally:
                os.close(target)
            try:
                yield
            finally:
                _setns(here)
        finally:
            os.close(here)

    def delete(self) -> None:
        """Remove the namespace and its /etc/netns directory (idempotent)."""
        if self._created:
            subprocess.run([IP, "netns", "delete", self.name], capture_output=True, check=False)
            self._created = False
        shutil.rmtree(self._etc, ignore_errors=True)
