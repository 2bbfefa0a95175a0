"""The daemon's HTTP listener: the post-release API, health checks and metrics.

One listener, on loopback by default: the API starts runs, so exposing it is a decision a
person makes (`host = "0.0.0.0"` behind a reverse proxy with TLS), never a default.
"""

from __future__ import annotations

from pydantic import Field

from monitor.config._base import EnvName, Section

__all__ = ["HttpSettings"]


class HttpSettings(Section):
    """`[api]`: where the daemon listens and how much it accepts.

    Attributes:
        host: address to bind.
        port: TCP port (0 picks a free one, for tests).
        token_env: environment variable holding the bearer token of `/api/v1/*`; without it
            the run API answers 401 to every request (health and metrics stay open).
        max_body_bytes: a request body over this is refused with 413 before it is read.
        max_queued: more queued post-release runs than this are refused with 429.
        max_wait: the longest `?wait=` a client may ask for, in seconds.
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=0, le=65535)
    token_env: EnvName | None = None
    max_body_bytes: int = Field(default=16_384, ge=256, le=1_048_576)
    max_queued: int = Field(default=10, ge=1, le=10_000)
    max_wait: float = Field(default=300.0, gt=0, le=3600)
