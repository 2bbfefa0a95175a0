"""The daemon's HTTP listener: waitress serving `monitor.daemon.api.DaemonApi` in a thread.

Why waitress: a production WSGI server in pure Python (no C build on the target host), with
a bounded thread pool and its own limits on headers and bodies, maintained by the Pylons
project; werkzeug's development server is documented as not for production.
"""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

from monitor.app import App
from monitor.daemon.api import DaemonApi
from monitor.daemon.contracts import DaemonView

__all__ = ["ServerHandle", "serve"]

_POLL_S = 0.2
_SHUTDOWN_S = 5.0
_THREADS = 4  # `?wait=` holds a thread; four lets health checks through while runs wait


class ServerHandle:
    """A running listener: its bound `port`, and `shutdown()` to stop it.

    The serving thread polls in short rounds and checks a stop flag between them, so the
    listener's sockets are closed by that thread after its last poll, never under it.
    """

    def __init__(self, server: Any, host: str) -> None:
        self._server = server
        self._stop = threading.Event()
        self.host = host
        self.port = int(server.effective_port)
        self._thread = threading.Thread(target=self._loop, name="senderwatch-http", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        server = self._server
        try:
            while not self._stop.is_set():
                server.asyncore.loop(timeout=_POLL_S, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown(timeout=_SHUTDOWN_S)
            server.asyncore.close_all(server._map)

    def shutdown(self, timeout: float = _SHUTDOWN_S) -> None:
        """Stop accepting, finish the requests in hand, close every socket (idempotent)."""
        self._stop.set()
        self._thread.join(timeout + _POLL_S * 4)


def serve(app: App, view: DaemonView, host: str, port: int) -> ServerHandle:
    """Start serving on `host`:`port` (0: a free port) in a background thread."""
    # The API answers a body over `max_body_bytes` with a JSON 413; waitress, which buffers a
    # body before the application sees it, stops anything far beyond that on its own.
    backstop = 4 * app.settings.api.max_body_bytes
    server = create_server(
        DaemonApi(app, view),
        host=host,
        port=port,
        threads=_THREADS,
        max_request_body_size=backstop,
        ident="senderwatch",
        clear_untrusted_proxy_headers=True,
    )
    return ServerHandle(server, host)
