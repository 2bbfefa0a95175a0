"""A real authoritative DNS server (Knot DNS) on a loopback port, for tests and benchmarks.

Zones are plain zone files named `<origin>.zone` in a directory; the server is started with a
config of its own (no system service), and `reload()` makes an edited zone live, so drift tests
edit a record exactly as an operator would.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KNOTC = shutil.which("knotc") or "/usr/sbin/knotc"


class MissingComponentError(RuntimeError):
    """A real server the tests need is not installed: fail loudly, never skip."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on host (DNS needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


class KnotServer:
    """Knot DNS serving every `*.zone` file of `zone_dir` on `host:port`.

    Usage:
        with KnotServer(zone_dir) as server:
            resolver_address = f"{server.host}:{server.port}"
    """

    def __init__(
        self,
        zone_dir: Path,
        host: str = "127.0.0.1",
        port: int | None = None,
        workdir: Path | None = None,
        udp_workers: int | None = None,
    ) -> None:
        if not Path(KNOTD).exists():
            raise MissingComponentError(
                "knotd not found: run .ci/install-system-deps.sh (Debian package 'knot')"
            )
        self.zone_dir = Path(zone_dir)
        self.host = host
        self.port = port or free_port(host)
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="senderwatch-knot-"))
        self.udp_workers = udp_workers
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """`host:port`, the form senderwatch's `dns.nameservers` accepts."""
        return f"{self.host}:{self.port}"

    @property
    def conf_path(self) -> Path:
        return self.workdir / "knot.conf"

    @property
    def socket_path(self) -> Path:
        return self.workdir / "knot.sock"

    def zones(self) -> list[str]:
        return sorted(p.name[: -len(".zone")] for p in self.zone_dir.glob("*.zone"))

    def _write_config(self) -> None:
        workers = f"    udp-workers: {self.udp_workers}\n" if self.udp_workers else ""
        zones = "".join(f"  - domain: {name}\n" for name in self.zones())
        self.conf_path.write_text(
            "server:\n"
            f"    rundir: {self.workdir}\n"
            f"    listen: {self.host}@{self.port}\n"
            f"{workers}"
            "database:\n"
            f"    storage: {self.workdir / 'db'}\n"
            "control:\n"
            f"    listen: {self.socket_path}\n"
            "log:\n"
            "  - target: stderr\n"
            "    any: warning\n"
            "template:\n"
            "  - id: default\n"
            f"    storage: {self.zone_dir}\n"
            '    file: "%s.zone"\n'
            "    zonefile-sync: -1\n"
            "    zonefile-load: whole\n"
            "    journal-content: none\n"
            "    semantic-checks: off\n"
            "zone:\n" + zones
        )

    def start(self) -> KnotServer:
        """Start knotd and wait until it answers; on any failure nothing is left behind
        (process stopped, own work folder removed) before the error is raised."""
        try:
            _require_free(self.host, self.port)
            self._write_config()
            with (self.workdir / "knotd.log").open("wb") as log:
                self._proc = subprocess.Popen(
                    [KNOTD, "-c", str(self.conf_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float = 15.0) -> None:
        zones = self.zones()
        probe = zones[0] if zones else "."
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"knotd exited: {self.log_text()}")
            with contextlib.suppress(Exception):
                query = dns.message.make_query(probe, dns.rdatatype.SOA)
                answer = dns.query.udp(query, self.host, port=self.port, timeout=0.5)
                if answer.answer:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"knotd did not answer for {probe}: {self.log_text()}")
        # Someone answered: make sure it is our knotd, not another server on that port.
        time.sleep(0.1)
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"knotd exited (port {self.port} in use?): {self.log_text()}")

    def log_text(self) -> str:
        path = self.workdir / "knotd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def soa_serial(self, zone: str) -> int:
        query = dns.message.make_query(zone, dns.rdatatype.SOA)
        answer = dns.query.udp(query, self.host, port=self.port, timeout=1.0)
        return int(answer.answer[0][0].serial)

    def reload(self, zone: str | None = None, timeout: float = 10.0) -> None:
        """Re-read zone files; with `zone`, wait until that zone's new serial is served.

        Edited zones must carry a higher SOA serial (use `bump_serial`), as on a real server.
        """
        before = self.soa_serial(zone) if zone else None
        # A new zone file needs the config rewritten before knot will serve it.
        self._write_config()
        subprocess.run(
            [KNOTC, "-c", str(self.conf_path), "-s", str(self.socket_path), "reload"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        if zone is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.soa_serial(zone) != before:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"zone {zone} kept serial {before} after reload: {self.log_text()}")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> KnotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _require_free(host: str, port: int) -> None:
    """Refuse a port another program holds, naming it, before knotd would fail obscurely."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                proto = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
                raise PortInUseError(
                    f"{host}:{port} ({proto}) is already in use by another program; "
                    "choose another with --port"
                ) from None


class PortInUseError(RuntimeError):
    """The requested listen address is taken."""


def bump_serial(zone_text: str) -> str:
    """Return `zone_text` with the SOA serial incremented (the first `; serial` marked number)."""
    lines = zone_text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if "; serial" in line:
            head, _, rest = line.partition(";")
            number = int(head.strip())
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}{number + 1} ;{rest}"
            return "".join(lines)
    raise ValueError("zone text has no line marked '; serial'")


def _main() -> None:
    """`python -m tests.support.dns_server [--port 5353] ZONE_DIR`: serve zones until Ctrl-C.

    For trying senderwatch locally (README "Try it on a local DNS server").
    """
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="Serve *.zone files with Knot on loopback.")
    parser.add_argument("zone_dir", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5353)
    args = parser.parse_args()
    # Blocked, so they wait for sigwait below instead of killing us before knotd is stopped.
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop | {signal.SIGHUP})
    try:
        server = KnotServer(args.zone_dir, host=args.host, port=args.port).start()
    except RuntimeError as exc:  # MissingComponentError and PortInUseError included
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    try:
        print(
            f"serving {len(server.zones())} zones on {server.address}; "
            "SIGHUP reloads edited zones (bump their serial), Ctrl-C stops",
            flush=True,
        )
        while signal.sigwait(stop | {signal.SIGHUP}) == signal.SIGHUP:
            server.reload()
            print("zones reloaded", flush=True)

    finally:
        server.stop()


if __name__ == "__main__":
    _main()
