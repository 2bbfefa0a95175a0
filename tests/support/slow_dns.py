"""A UDP DNS forwarder on loopback that answers every query `delay` seconds late.

Makes a DNS cycle over a handful of test domains last seconds, so a test can kill the
replica doing it mid-cycle. Each query is forwarded to the upstream (the test Knot server)
on a timer of its own, so slowness never serialises: like a far resolver, not a busy one.

Usage:
    with SlowDns(upstream="127.0.0.1:5300", delay=0.3) as slow:
        nameservers = [slow.address]
"""

from __future__ import annotations

import socket
import threading
from typing import Self

from tests.support.dns_server import free_port

__all__ = ["SlowDns"]


class SlowDns:
    def __init__(self, upstream: str, delay: float) -> None:
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.delay = delay
        self.port = free_port("127.0.0.1")
        self.address = f"127.0.0.1:{self.port}"
        self.queries = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="slow-dns", daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queries += 1
            timer = threading.Timer(self.delay, self._forward, args=(wire, peer))
            timer.daemon = True
            timer.start()

    def _forward(self, wire: bytes, peer: tuple[str, int]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(2.0)
            try:
                upstream.sendto(wire, self.upstream)
                answer, _ = upstream.recvfrom(65535)
                self._sock.sendto(answer, peer)
            except OSError:
                return  # the resolver times out and retries, as on a lost packet

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
