"""Fixtures of the replica tests: one throwaway PostgreSQL, the slow DNS front, a fleet."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import EditableDns
from tests.daemon._process import daemon_starter
from tests.support.postgres import PostgresServer
from tests.support.slow_dns import SlowDns


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session (fails if PostgreSQL is missing)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture
def schema_url(postgres: PostgresServer) -> str:
    return postgres.create_schema(f"r_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def slow_dns(dns_server: EditableDns) -> Iterator[SlowDns]:
    """The test zones, every answer 0.3 s late: a cycle of a dozen domains lasts seconds."""
    with SlowDns(dns_server.address, delay=0.3) as front:
        yield front


def fleet_config(
    *,
    url: str,
    nameserver: str,
    domains: Sequence[str],
    every: str = "6s",
    lease: str = "3s",
    batch_size: int = 2,
    extra: str = "",
) -> str:
    """Replicas' shared config: the DNS job every `every` in batches, retention off."""
    lines = [
        "[database]",
        f"url = {json.dumps(url)}",
        "[dns]",
        f"nameservers = [{json.dumps(nameserver)}]",
        "timeout = 2.0",
        "retries = 1",
        "[api]",
        "port = 0",
        'token_env = "SW_API_TOKEN"',
    ]
    for name in domains:
        lines += ["[[domains]]", f"name = {json.dumps(name)}", 'checks = ["spf", "dmarc", "mx"]']
    lines += [
        "[environments.production]",
        'domain = "healthy.test"',
        "[daemon]",
        'shutdown_timeout = "5s"',
        f"lease = {json.dumps(lease)}",
        f"batch_size = {batch_size}",
        "[daemon.jobs.dns]",
        f"every = {json.dumps(every)}",
        "[daemon.jobs.retention]",
        'every = "1d"',
        "enabled = false",
    ]
    return "\n".join(lines) + "\n" + extra


class Sql:
    """Reads the fleet's PostgreSQL schema from the test, on a connection of its own."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            try:
                return [tuple(r) for r in conn.execute(text(sql), params)]
            except Exception as exc:
                if "does not exist" in str(exc):  # the first replica is still migrating
                    return []
                raise

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def sql(schema_url: str) -> Iterator[Sql]:
    reader = Sql(schema_url)
    yield reader
    reader.close()


@pytest.fixture
def start_replica(tmp_path: Path) -> Iterator[Any]:
    """Start `senderwatch run` replicas; any still running at the end are killed."""
    with daemon_starter(tmp_path) as start:
        yield start
