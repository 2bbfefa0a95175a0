"""Fixtures for alert tests: a migrated SQLite database, HTTP receivers, result builders."""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks.result import CheckResult, Finding, Severity, Status, rollup_status
from monitor.storage import Database, open_database
from tests.support.http_receiver import HttpReceiver
from tests.support.postgres import PostgresServer

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def new_whsec() -> str:
    """A fresh Standard Webhooks signing secret (whsec_ + base64 of 24 random bytes)."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


class FakeClock:
    """A settable clock: alert decisions take `now` from here, never from the wall."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite database migrated through every revision (0001_core, 0002_alerts)."""
    database = open_database(f"sqlite:///{tmp_path / 'alerts.db'}")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the alert tests (fails if PostgreSQL is missing)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database on each backend: store code must behave the same on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'alerts.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_schema(f"a_{uuid.uuid4().hex[:12]}")
    database = open_database(url)
    yield database
    database.dispose()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as rx:
        yield rx


def finding(code: str, severity: Severity = Severity.CRITICAL, message: str = "") -> Finding:
    return Finding(code, severity, message or f"problem {code}")


def result(
    *findings: Finding,
    check: str = "spf",
    subject: str = "example.test",
    kind: str = "dns",
    environment: str | None = None,
    status: Status | None = None,
    evidence: dict[str, object] | None = None,
) -> CheckResult:
    """A CheckResult with the status its findings imply (or the one given)."""
    return CheckResult(
        check=check,
        kind=kind,
        subject=subject,
        environment=environment,
        started_at=T0,
        duration_s=0.01,
        status=status or rollup_status(findings),
        findings=tuple(findings),
        evidence=evidence or {"record": "v=spf1 include:_spf.example.test ~all"},
    )
