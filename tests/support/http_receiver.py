"""A real HTTP server on loopback that records requests and answers as the test scripts it.

Used as the Slack and webhook receiver in alert tests: no mocked `requests`, the channels
speak real HTTP over a real socket.

Usage:
    with HttpReceiver() as rx:
        rx.script(Reply(500), Reply(429, headers={"Retry-After": "1"}))  # then 200s
        ...  # point a channel at rx.url("/hook")
        rx.requests  # every request, in arrival order

A `Reply(hang=True)` never answers (until the receiver stops): the client's timeout fires.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["HttpReceiver", "Received", "Reply"]


@dataclasses.dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: str = "ok"
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    hang: bool = False  # never answer


@dataclasses.dataclass(frozen=True)
class Received:
    """One request as the receiver saw it (headers with lower-case names)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    answered: int | None  # status sent back, None if it hung

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: HttpReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rx = self.server.receiver
        reply = rx._next_reply()
        headers = {k.lower(): v for k, v in self.headers.items()}
        if reply.hang:
            rx._record(Received(self.command, self.path, headers, body, None))
            rx._stopping.wait()
            self.close_connection = True
            return
        if reply.delay:
            rx._stopping.wait(reply.delay)
        rx._record(Received(self.command, self.path, headers, body, reply.status))
        data = reply.body.encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = _handle
    do_PUT = _handle
    do_GET = _handle


class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 (random port) with scripted replies."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._default = Reply()
        self._stopping = threading.Event()
        self._arrived = threading.Condition(self._lock)
        self.requests: list[Received] = []

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *replies: Reply, default: Reply | None = None) -> None:
        """Answer the next requests with `replies`, in order, then with `default` (200)."""
        with self._lock:
            self._script.extend(replies)
            if default is not None:
                self._default = default

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self._default

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until `count` requests arrived (test synchronisation, not a timing assert)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(
                    f"expected {count} request(s), got {len(self.requests)} in {timeout}s"
                )
            return list(self.requests)

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
