"""Fixtures: the two seeded weeks of `_seed` on each backend, and an App over them.

Seeding takes seconds, and the report only reads, so one seeded database per module and
backend serves every test of the module (tests that write, such as sending, use their own).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.app import App
from monitor.storage import Database, open_database
from tests.conftest import EditableDns
from tests.monitor.report import _seed
from tests.support.postgres import PostgresServer


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database holding both weeks, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'senderwatch.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_schema(f"t_{uuid.uuid4().hex[:12]}")
    db = open_database(url, on_create=None)
    _seed.seed(db)
    yield db
    db.dispose()


@pytest.fixture
def app(seeded: Database, tmp_path: Path, dns_server: EditableDns) -> App:
    """An App over the seeded database, its clock on the Tuesday after the week; DNS (the
    classification of report sources) through the test Knot."""
    settings = _seed.settings("sqlite:///unused.db", tmp_path / "Maildir", dns=dns_server.address)
    return App(settings, clock=lambda: _seed.AFTER, shared_database=seeded, environ={})
