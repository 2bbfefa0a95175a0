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
        deleted = retention.purge(app, retain_days=30, batch=2).results

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


CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "reports"


def test_retention_deletes_old_fleet_ticks_and_reports_but_keeps_recent_and_unfinished(
    tmp_path: Path, dns_server: EditableDns
) -> None:
    """Finished job ticks fired before the cutoff go with their DNS batches; an unfinished
    one (it may still be taken over) and a recent one stay. DMARC and TLS reports whose
    period ended before the cutoff go with their records; the input rows (what was read,
    when) go by their own age."""
    from monitor.services.dmarc_reports import ingest
    from monitor.storage.fleet import BatchRepository, TickRepository

    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)  # the samples cover 1-2 January 2026
    settings = parse_settings(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'sw.db'}"},
            "dns": {"nameservers": [dns_server.address], "timeout": 1.0, "retries": 0},
            "domains": [{"name": "reports-lab.test"}],
            "reports": {"reverse_dns": False},
        }
    )
    db = tmp_path / "sw.db"
    with App(settings, clock=lambda: now) as app:
        files = [CORPUS / "google-rfc7489.xml", CORPUS / "microsoft-rfc9990.xml"]
        stored = ingest(app, files=files, alerts=False, deliver=False)
        assert stored.count("stored") == 2
        with app.database.transaction() as session:
            ticks = TickRepository(session)
            old = ticks.claim("dns", now - dt.timedelta(days=400), "r1", 30)
            open_old = ticks.claim("dns", now - dt.timedelta(days=399), "r1", 30)
            recent = ticks.claim("dns", now - dt.timedelta(days=1), "r1", 30)
            assert old is not None and open_old is not None and recent is not None
            BatchRepository(session).add_all(old.id, [["a.test"], ["b.test"]])
            ticks.finish(old.id, "done")
            ticks.finish(recent.id, "done")
        kept = retention.purge(app, retain_days=365)
        assert (kept.ticks, kept.reports) == (1, 0)  # the reports are 332 days old
        purged = retention.purge(app, retain_days=300)
    assert purged.reports == 2
    assert {row[0] for row in query(db, "SELECT id FROM job_ticks")} == {open_old.id, recent.id}
    assert query(db, "SELECT count(*) FROM cycle_batches") == [(0,)]
    for table in ("dmarc_reports", "dmarc_records", "tls_reports"):
        assert query(db, f"SELECT count(*) FROM {table}") == [(0,)], table
    # What was read, and when, goes by its own age: these files were read today.
    assert query(db, "SELECT count(*) FROM report_inputs") == [(2,)]
