"""Telling systemd how the daemon is doing: the sd_notify protocol, for `Type=notify` units.

The protocol (sd_notify(3), "The NOTIFY_SOCKET protocol"): the service manager puts the path
of a Unix datagram socket in `$NOTIFY_SOCKET` (a name starting with "@" is in the abstract
namespace: "@" stands for a leading NUL byte); the service sends it newline-separated
`KEY=VALUE` lines, one datagram per message. We send `READY=1` once the scheduler and the
listener run, `WATCHDOG=1` every half `$WATCHDOG_USEC` while they live, `STOPPING=1` when a
shutdown begins and `STATUS=...` for `systemctl status`. The watchdog belongs to one process:
when `$WATCHDOG_PID` is set and is not ours (a child inherited the environment), we stay quiet.

Written by hand, not taken from a library: `sdnotify` (last release 2017) knows nothing of
`WATCHDOG_USEC`/`WATCHDOG_PID`, encodes Latin-1 and hides every error; `systemd-watchdog`
has no `STOPPING=1`, pings whatever `WATCHDOG_PID` says and lets a send error escape into
the caller; `systemd-python` and `cysystemd` build against libsystemd's headers. The
comparison is in docs/deploy.md.

Every function is a no-op returning False outside systemd (no `$NOTIFY_SOCKET`), and a
notification that cannot be sent is logged, never raised: a missed ping must not stop a check.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

__all__ = [
    "notify",
    "ready",
    "reloading",
    "status",
    "stopping",
    "watchdog",
    "watchdog_interval",
]

_log = logging.getLogger(__name__)


def _address(environ: Mapping[str, str]) -> str | None:
    """The socket address in `$NOTIFY_SOCKET`, with "@" turned into the abstract NUL, or None
    when unset or in a form we do not speak (systemd also offers `vsock:`; we use Unix only)."""
    name = environ.get("NOTIFY_SOCKET", "")
    if name.startswith("@") and len(name) > 1:
        return "\0" + name[1:]
    if name.startswith("/"):
        return name
    if name:
        _log.warning("NOTIFY_SOCKET=%r is not a Unix socket path; not notifying systemd", name)
    return None


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `message` (newline-separated KEY=VALUE lines) to the service manager; True when
    it was sent, False outside systemd or when the send failed (logged)."""
    address = _address(os.environ if environ is None else environ)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode("utf-8"), address)
    except OSError as exc:
        _log.warning("could not notify systemd (%s): %s", message.split("\n", 1)[0], exc)
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between two `watchdog()` calls (half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    advises), or None when the watchdog is off or belongs to another process."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid is not None and pid != str(os.getpid()):
        return None
    return int(usec) / 2_000_000


def ready(environ: Mapping[str, str] | None = None) -> bool:
    """Startup is over: systemd marks the unit active and `systemctl start` returns."""
    return notify("READY=1", environ)


def watchdog(environ: Mapping[str, str] | None = None) -> bool:
    """Still alive: resets systemd's watchdog timer (only when the watchdog is ours)."""
    if watchdog_interval(environ) is None:
        return False
    return notify("WATCHDOG=1", environ)


def reloading(environ: Mapping[str, str] | None = None) -> bool:
    """A SIGHUP reload has begun; send `ready()` when it is done. The monotonic timestamp lets
    systemd (`Type=notify-reload`, 253 and later) tell this reload from an earlier one."""
    now_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={now_usec}", environ)


def stopping(environ: Mapping[str, str] | None = None) -> bool:
    """A shutdown has begun: systemd stops expecting watchdog pings."""
    return notify("STOPPING=1", environ)


def status(text: str, environ: Mapping[str, str] | None = None) -> bool:
    """A one-line status for `systemctl status` (line breaks would start new keys: flattened)."""
    return notify("STATUS=" + " ".join(text.splitlines()), environ)
