"""Migrations: the schema exists only through Alembic, identical to the models on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from monitor.storage import Database, open_database
from monitor.storage.migrate import current_revisions, head_revisions
from tests.support.schema import schema_differences


def test_a_new_database_is_migrated_to_every_head(database_url: str) -> None:
    """Opening a database applies core and every feature branch (upgrade to heads)."""
    db = open_database(database_url)
    try:
        assert current_revisions(db.engine) == head_revisions()
        tables = set(inspect(db.engine).get_table_names())
        assert {"runs", "results", "baselines", "drifts", "alembic_version"} <= tables
    finally:
        db.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    """Columns, types, nullability and indexes of 0001_core equal models.py exactly."""
    db = open_database(database_url)
    try:
        assert schema_differences(db) == []
    finally:
        db.dispose()


def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    """Every command upgrades on start; the second time must be a no-op."""
    db = Database(database_url)
    try:
        assert db.revisions() == ()
        db.upgrade()
        first = db.revisions()
        db.upgrade()
        assert db.revisions() == first == head_revisions()
    finally:
        db.dispose()


def test_core_revision_is_the_root_other_branches_build_on() -> None:
    """Feature migrations (alerts, canary) branch from 0001_core; it has no parent."""
    from alembic.script import ScriptDirectory

    from monitor.storage.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_bases() == ["0001_core"]
    for head in scripts.get_heads():
        assert "0001_core" in {rev.revision for rev in scripts.iterate_revisions(head, "base")}


def test_the_schema_heads_constant_is_what_the_migrations_lead_to() -> None:
    """A migration added without updating SCHEMA_HEADS would make every open run Alembic."""
    from monitor.storage.migrate import SCHEMA_HEADS

    assert head_revisions() == SCHEMA_HEADS


def test_opening_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    """The common open is one SELECT: a daemon or a one-shot command on a current schema never
    pays for Alembic (memory and start-up)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = _probe(
        "import sys\n"
        "from monitor.storage import open_database\n"
        f"open_database({url!r}).dispose()\n"
        "before = 'alembic' in sys.modules\n"
        "for name in [m for m in sys.modules if m.split('.')[0] == 'alembic']:\n"
        "    del sys.modules[name]\n"
        f"open_database({url!r}).dispose()\n"
        "print(before, 'alembic' in sys.modules)\n"
    )
    assert done.stdout.split() == ["True", "False"], done.stderr


def _probe(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter at the repository root (sys.modules starts empty)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )


def test_isolated_migrations_build_a_new_database_without_loading_alembic(tmp_path: Path) -> None:
    """The daemon migrates a new database in a child process, so it never carries Alembic."""
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    done = _probe(
        "import sys\n"
        "from monitor.storage import open_database\n"
        "from monitor.storage.migrate import SCHEMA_HEADS\n"
        f"db = open_database({url!r}, isolated_migrations=True, on_create=None)\n"
        "print(db.revisions() == SCHEMA_HEADS, 'alembic' in sys.modules)\n"
    )
    assert done.stdout.split() == ["True", "False"], done.stderr


def test_isolated_migrations_that_fail_raise_the_precise_problem(tmp_path: Path) -> None:
    """A child that cannot migrate (here: a schema newer than the code) leaves the caller
    with the same typed DatabaseProblem an in-process upgrade raises, not a vague failure."""
    from sqlalchemy import create_engine, text

    from monitor.storage.faults import DatabaseTooNew

    path = tmp_path / "newer.sqlite"
    open_database(f"sqlite:///{path}", on_create=None).dispose()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
    engine.dispose()
    with pytest.raises(DatabaseTooNew):
        open_database(f"sqlite:///{path}", isolated_migrations=True, on_create=None)
