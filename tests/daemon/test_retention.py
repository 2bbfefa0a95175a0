"""Retention deletes old results in batches and keeps what explains the present."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.app import App
from monitor.config import parse_settings
from monitor.services import checks, retention
from tests.conftest import EditableDns
from tests.daemon._process import query

DOMAIN = "healthy.test"


def _app(tmp_path: Path, nameserver: str, when: dt.datetime) -> App:
    settings = parse_settings(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'sw.db'}"},
            "dns": {"nameservers": [nameserver], "timeout": 2.0, "retries": 0},
            "domains": [{"name": DOMAIN, "checks": ["spf", "dmarc", "mx"]}],
        }
    )
    return App(settings, clock=lambda: when)


def test_retention_deletes_old_results_but_keeps_baselines_and_drift(
    tmp_path: Path, editable_dns: EditableDns
) -> None:
    """Old unreferenced results go (in several batches); baselines, drift and the results
    they point at stay, and newer results are untouched."""
    now = dt.datetime.now(dt.UTC)
    old = now - dt.timedelta(days=40)
    with _app(tmp_path, editable_dns.address, old) as app:
        first = checks.run(app, trigger="daemon")  # the automatic baselines point here
        for _ in range(2):
            checks.run(app, trigger="daemon")
        editable_dns.edit(DOMAIN, "p=reject", "p=none")
        drifted = checks.run(app, trigger="daemon")
    assert drifted.drifts, "the edited zone must produce drift"
    with _app(tmp_path, editable_dns.address, now) as app:
        recent = checks.run(app, trigger="daemon")
        db = tmp_path / "sw.db"
        baselines_before = query(db, "SELECT id, result_id FROM baselines ORDER BY id")
        drifts_before = query(db, "SELECT id, result_id FROM drifts ORDER BY id")
        deleted = retention.purge(app, retain_days=30, batch=2)

    kept = {row[0] for row in query(db, "SELECT id FROM results")}
    referenced = {rid for _id, rid in baselines_before if rid} | {r for _i, r in drifts_before}
    first_ids = {stored.id for stored in first.results}
    recent_ids = {stored.id for stored in recent.results}
    assert deleted == 4 * 3 - len(referenced - recent_ids), (deleted, referenced)
    assert referenced <= kept
    assert recent_ids <= kept
    assert len(kept) == 5 * 3 - deleted
    assert first_ids & kept == first_ids & referenced
    assert query(db, "SELECT id, result_id FROM baselines ORDER BY id") == baselines_before
    assert query(db, "SELECT id, result_id FROM drifts ORDER BY id") == drifts_before
