"""Misbehaving DNS servers on loopback, for "could not measure" tests.

`BlackholeDns` reads every query and never answers (a firewall dropping port 53);
`ServfailDns` answers every query with SERVFAIL, or REFUSED with `rcode="refused"` (a broken
or lame resolver). Both listen on UDP and TCP on the same port, because a resolver falls back
to TCP, and count what they receive, so a test can tell the resolver asked again.

Usage:
    with ServfailDns(rcode="refused") as server:
        resolver = Resolver([server.address], timeout=0.3, retries=1)
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from typing import Self

import dns.exception
import dns.message
import dns.rcode

from tests.support.dns_server import free_port

__all__ = ["BlackholeDns", "ServfailDns"]


class _LoopbackDns:
    """A UDP+TCP listener on 127.0.0.1 served by one thread; subclasses decide the reply."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.queries_received = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._selector = selectors.DefaultSelector()
        self._sockets: list[socket.socket] = []

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`, the form `Resolver` and `dns.nameservers` accept."""
        return f"{self.host}:{self.port}"

    def reply(self, wire: bytes) -> bytes | None:
        """The answer to one query in wire form, or None to stay silent."""
        raise NotImplementedError

    def _count(self) -> None:
        with self._lock:
            self.queries_received += 1

    def _bind(self) -> None:
        self.port = free_port(self.host)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((self.host, self.port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((self.host, self.port))
        tcp.listen(16)
        for sock in (udp, tcp):
            sock.setblocking(False)
            self._sockets.append(sock)
        self._selector.register(udp, selectors.EVENT_READ, self._on_udp)
        self._selector.register(tcp, selectors.EVENT_READ, self._on_accept)

    def _on_udp(self, sock: socket.socket) -> None:
        with contextlib.suppress(BlockingIOError):
            wire, peer = sock.recvfrom(65535)
            self._count()
            answer = self.reply(wire)
            if answer is not None:
                sock.sendto(answer, peer)

    def _on_accept(self, sock: socket.socket) -> None:
        with contextlib.suppress(BlockingIOError):
            conn, _ = sock.accept()
            conn.setblocking(False)
            self._sockets.append(conn)
            self._selector.register(conn, selectors.EVENT_READ, self._on_tcp)

    def _on_tcp(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(65537)
        except (BlockingIOError, ConnectionError):
            data = b""
        if len(data) < 2:
            self._selector.unregister(conn)
            conn.close()
            self._sockets.remove(conn)
            return
        self._count()
        (length,) = struct.unpack("!H", data[:2])
        answer = self.reply(data[2 : 2 + length])
        if answer is not None:
            with contextlib.suppress(OSError):
                conn.sendall(struct.pack("!H", len(answer)) + answer)

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                key.data(key.fileobj)

    def start(self) -> Self:
        self._bind()
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()
        self._selector.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BlackholeDns(_LoopbackDns):
    """Receives every query, answers none: the resolver must time out."""

    def reply(self, wire: bytes) -> bytes | None:
        return None


class ServfailDns(_LoopbackDns):
    """Answers every query with one rcode: "servfail" (default) or "refused"."""

    def __init__(self, rcode: str = "servfail") -> None:
        super().__init__()
        self.rcode = dns.rcode.from_text(rcode.upper())

    def reply(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.set_rcode(self.rcode)
        return response.to_wire()
