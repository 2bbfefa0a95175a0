"""The weekly report reads history through indexes: no query scans a table that grows with
time. SQLite plans without statistics (senderwatch never runs ANALYZE), so the plan chosen
for this small seeded database is the one chosen for a year of 50 domains; a query that
scans here would read every stored row there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from monitor.app import App
from monitor.services.dmarc_reports import alert
from monitor.services.report import build_weekly, render_weekly
from monitor.storage import Database, open_database
from tests.conftest import EditableDns
from tests.monitor.report import _seed

GROWING = (
    "results",
    "result_days",
    "runs",
    "drifts",
    "canary_messages",
    "dmarc_reports",
    "dmarc_records",
    "tls_reports",
    "tls_failures",
    "report_inputs",
)
"""Tables that gain rows every day; the others (baselines, silences, alerts) stay small."""

_SCAN = re.compile(r"^SCAN (\w+)")


@pytest.fixture
def sqlite_app(tmp_path: Path, dns_server: EditableDns) -> tuple[App, Database]:
    db = open_database(f"sqlite:///{tmp_path / 'plans.db'}", on_create=None)
    _seed.seed(db)
    settings = _seed.settings("sqlite:///unused.db", tmp_path / "Maildir", dns=dns_server.address)
    app = App(settings, clock=lambda: _seed.AFTER, shared_database=db, environ={})
    return app, db


def _scans(db: Database, work: Any, *, at_least: int) -> dict[str, list[str]]:
    """Run `work`; return each SELECT that scanned a growing table, with its plan."""
    found: dict[str, list[str]] = {}
    selects = 0

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        nonlocal selects
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        selects += 1
        plan = [row[3] for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, params)]
        scanned = [m.group(1) for line in plan if (m := _SCAN.match(line))]
        if any(table in GROWING for table in scanned):
            found[" ".join(statement.split())[:300]] = plan

    event.listen(db.engine, "before_cursor_execute", explain)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", explain)
    assert selects >= at_least, "the listener saw the queries"
    return found


def test_the_weekly_report_scans_no_growing_table(sqlite_app: tuple[App, Database]) -> None:
    app, db = sqlite_app

    def work() -> None:
        report = build_weekly(app, "2026-W47")
        for fmt in ("html", "json"):
            render_weekly(report, fmt)

    assert _scans(db, work, at_least=20) == {}


def test_the_report_alert_rules_scan_no_growing_table(sqlite_app: tuple[App, Database]) -> None:
    app, db = sqlite_app
    assert _scans(db, lambda: alert(app, deliver=False), at_least=3) == {}
