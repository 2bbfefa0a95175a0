"""dmarc_sources: per (domain, source IP) the days of the first and latest report, kept by
ingest, filled by the migration from records stored before it, and aged out by retention.
On SQLite and PostgreSQL (the upsert is each backend's ON CONFLICT)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from checks.reports.model import AggregateRecord, AggregateReport
from monitor.storage import Database
from monitor.storage.dmarc_reports import InputOutcome, ReportStore
from monitor.storage.dmarc_reports_models import (
    DmarcRecordRow,
    DmarcReportRow,
    DmarcSourceRow,
    ReportInputRow,
)
from monitor.storage.history_retention import delete_reports_before
from monitor.storage.migrate import upgrade

DOMAIN = "example.test"
W1 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


def _report(rid: str, begin: dt.datetime, *ips: str) -> AggregateReport:
    records = tuple(
        AggregateRecord(
            source_ip=ip,
            count=3,
            disposition="none",
            dkim_aligned=True,
            spf_aligned=True,
            header_from=DOMAIN,
            envelope_from=DOMAIN,
            envelope_to=None,
            auth=(),
        )
        for ip in ips
    )
    return AggregateReport(
        org_name="google.com",
        report_id=rid,
        domain=DOMAIN,
        begin=begin,
        end=begin + dt.timedelta(days=1) - dt.timedelta(seconds=1),
        email="noreply@google.com",
        policy={"p": "reject"},
        schema="rfc7489",
        records=records,
    )


def _store(db: Database, *reports: AggregateReport) -> None:
    with db.transaction() as session:
        store = ReportStore(session)
        for report in reports:
            origin = f"test:{report.report_id}"
            input_id = store.add_input(
                InputOutcome(origin, origin, 100, "stored", reports=1),
                received_at=report.end,
                parser="test",
            )
            assert store.add_aggregate(report, {}, input_id=input_id, now=report.end)


def _sources(db: Database) -> dict[str, tuple[dt.date, dt.date]]:
    with db.transaction() as session:
        rows = session.execute(
            select(DmarcSourceRow.source_ip, DmarcSourceRow.first_day, DmarcSourceRow.last_day)
        ).all()
    return {ip: (first, last) for ip, first, last in rows}


def _day(when: dt.datetime) -> dt.date:
    return when.date()


def test_a_late_report_widens_the_first_sighting_and_new_is_judged_by_it(
    database: Database,
) -> None:
    """Reports arrive out of order: week 2, then a late week 1, then week 3."""
    _store(database, _report("r2", W1 + WEEK, "192.0.2.1", "192.0.2.2"))
    _store(database, _report("r1", W1, "192.0.2.1"))
    _store(database, _report("r3", W1 + 2 * WEEK, "192.0.2.1", "192.0.2.2", "192.0.2.3"))
    assert _sources(database) == {
        "192.0.2.1": (_day(W1), _day(W1 + 2 * WEEK)),
        "192.0.2.2": (_day(W1 + WEEK), _day(W1 + 2 * WEEK)),
        "192.0.2.3": (_day(W1 + 2 * WEEK), _day(W1 + 2 * WEEK)),
    }
    with database.transaction() as session:
        store = ReportStore(session)
        week3 = store.seen_before(W1 + 2 * WEEK, W1 + 3 * WEEK)
        week2 = store.seen_before(W1 + WEEK, W1 + 2 * WEEK, DOMAIN)
        other = store.seen_before(W1 + 2 * WEEK, W1 + 3 * WEEK, "other.test")
    assert week3 == {(DOMAIN, "192.0.2.1"), (DOMAIN, "192.0.2.2")}  # .3 is new
    assert week2 == {(DOMAIN, "192.0.2.1")}  # the late week-1 report makes .1 known
    assert other == set()


def test_retention_drops_sources_no_kept_report_names(database: Database) -> None:
    _store(database, _report("old", W1, "192.0.2.1", "192.0.2.2"))
    _store(database, _report("new", W1 + 4 * WEEK, "192.0.2.2"))
    delete_reports_before(database, W1 + 2 * WEEK)
    assert set(_sources(database)) == {"192.0.2.2"}


def test_the_migration_fills_the_table_from_records_stored_before_it(
    database_url: str,
) -> None:
    """A database at 0010 (reports, no dmarc_sources) keeps its history when upgraded."""
    db = Database(database_url)
    try:
        upgrade(db.engine, "0010_report_begin")
        with db.engine.begin() as conn:
            input_id = conn.execute(
                insert(ReportInputRow).returning(ReportInputRow.id),
                {
                    "origin": "old",
                    "sha256": "0" * 64,
                    "size": 1,
                    "received_at": W1,
                    "outcome": "stored",
                    "code": None,
                    "reason": None,
                    "reports": 2,
                    "parser": "test",
                },
            ).scalar_one()
            for rid, begin, ips in (
                ("a", W1 + WEEK, ["192.0.2.1"]),
                ("b", W1, ["192.0.2.1", "192.0.2.9"]),
            ):
                report_id = conn.execute(
                    insert(DmarcReportRow).returning(DmarcReportRow.id),
                    {
                        "input_id": input_id,
                        "org_name": "google.com",
                        "report_id": rid,
                        "domain": DOMAIN,
                        "begin": begin,
                        "end": begin + dt.timedelta(days=1),
                        "email": None,
                        "policy": {},
                        "schema": "rfc7489",
                        "messages": len(ips),
                        "records": len(ips),
                        "ingested_at": begin,
                    },
                ).scalar_one()
                conn.execute(
                    insert(DmarcRecordRow),
                    [
                        {
                            "report": report_id,
                            "source_ip": ip,
                            "source_name": None,
                            "count": 1,
                            "disposition": "none",
                            "dkim_aligned": True,
                            "spf_aligned": False,
                            "dkim_domain": None,
                            "dkim_selector": None,
                            "dkim_result": None,
                            "spf_domain": None,
                            "spf_scope": None,
                            "spf_result": None,
                            "header_from": DOMAIN,
                            "envelope_from": None,
                            "envelope_to": None,
                            "auth": [],
                            "reasons": [],
                        }
                        for ip in ips
                    ],
                )
        db.upgrade()
        assert _sources(db) == {
            "192.0.2.1": (_day(W1), _day(W1 + WEEK)),
            "192.0.2.9": (_day(W1), _day(W1)),
        }
    finally:
        db.dispose()
