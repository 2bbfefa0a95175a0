"""A real listener on loopback over a real SQLite database, with the shared Knot server.

`StaticView` is test scaffolding standing in for the scheduler (which another module owns):
a small real `DaemonView` holding job states the test sets, counting runner wake-ups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.app import App
from monitor.config import parse_settings
from monitor.daemon.contracts import JobState
from monitor.daemon.http import ServerHandle, serve
from tests.conftest import EditableDns

TOKEN = "test-token-not-a-secret"
TOKEN_ENV = "SENDERWATCH_TEST_API_TOKEN"


@dataclasses.dataclass
class StaticView:
    """A DaemonView whose jobs and liveness the test sets."""

    is_alive: bool = True
    job_states: list[JobState] = dataclasses.field(default_factory=list)
    wakes: threading.Event = dataclasses.field(default_factory=threading.Event)

    def alive(self) -> bool:
        return self.is_alive

    def jobs(self) -> list[JobState]:
        return list(self.job_states)

    def wake_runner(self) -> None:
        self.wakes.set()


@dataclasses.dataclass
class Api:
    app: App
    view: StaticView
    server: ServerHandle

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", **extra}


def settings_data(dns: str, db: Path, **api: Any) -> dict[str, Any]:
    return {
        "database": {"url": f"sqlite:///{db}"},
        "dns": {"nameservers": [dns], "timeout": 1.0, "retries": 0},
        "domains": [{"name": "healthy.test", "dkim_selectors": ["s1"]}],
        "environments": {"production": {"domain": "healthy.test"}},
        "api": {"token_env": TOKEN_ENV, "max_body_bytes": 1024, "max_queued": 3, **api},
    }


@pytest.fixture
def api(tmp_path: Path, dns_server: EditableDns) -> Iterator[Api]:
    settings = parse_settings(settings_data(dns_server.address, tmp_path / "db.sqlite"))
    with App(settings, environ={TOKEN_ENV: TOKEN}) as app:
        view = StaticView()
        server = serve(app, view, "127.0.0.1", 0)
        try:
            yield Api(app, view, server)
        finally:
            server.shutdown()


def job(name: str, *, interval_s: float, success_age_s: float | None) -> JobState:
    now = dt.datetime.now(dt.UTC)
    last = None if success_age_s is None else now - dt.timedelta(seconds=success_age_s)
    return JobState(
        name=name,
        interval_s=interval_s,
        next_run=now + dt.timedelta(seconds=interval_s),
        last_started=last,
        last_success=last,
        last_error=None,
        running=False,
    )
