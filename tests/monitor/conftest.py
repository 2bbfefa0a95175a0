"""Fixtures for monitor tests: a real database on SQLite AND PostgreSQL.

`database` is parametrised: every test that uses it runs once per backend, so a query that
only SQLite accepts (or a type only PostgreSQL enforces) fails here, not in production.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.storage import Database, open_database
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session (fails if PostgreSQL is missing)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'senderwatch.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_schema(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database on each backend."""
    db = open_database(database_url)
    yield db
    db.dispose()
