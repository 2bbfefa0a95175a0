"""DMARC reports through the service: stored once, bad input recorded, figures, alerts once.

Real SQLite/PostgreSQL, reverse names and SPF from the test Knot (zones reports-lab.test,
news-esp.test and the 198.51.100.0/24 and 2001:db8::/48 reverse zones).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from monitor.app import App
from monitor.config import parse_settings
from monitor.errors import UsageError
from monitor.services import dmarc_reports as service
from monitor.storage import Database
from monitor.storage.dmarc_reports import ReportStore
from tests.conftest import EditableDns
from tests.support import dmarc_samples as s

NOW = dt.datetime(2026, 1, 3, 12, tzinfo=dt.UTC)
WEEK = dt.datetime(2025, 12, 29, tzinfo=dt.UTC)  # Monday of the samples' week


def settings_for(dns: EditableDns, extra: str = "") -> object:
    text = f"""
[dns]
nameservers = ["{dns.address}"]
timeout = 1.0
retries = 0

[[domains]]
name = "reports-lab.test"

[[domains.senders]]
name = "News ESP"
spf_include = "_spf.news-esp.test"

[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:9/hook"
secret_env = "SW_HOOK_SECRET"
{extra}
"""
    return parse_settings(tomllib.loads(text))


@pytest.fixture
def app(dns_server: EditableDns, database: Database) -> App:
    return App(
        settings_for(dns_server),  # type: ignore[arg-type]
        clock=lambda: NOW,
        alerts_clock=lambda: NOW,
        environ={"SW_HOOK_SECRET": "whsec_" + "A" * 32},
        shared_database=database,
    )


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_same_report_ingested_twice_is_stored_once(app: App, tmp_path: Path) -> None:
    """Receivers resend, and one mail may be read twice: the second copy is a duplicate."""
    first = service.ingest(
        app, files=[_write(tmp_path, "a.xml.gz", s.gz(s.google()))], alerts=False
    )
    again = service.ingest(
        app, files=[_write(tmp_path, "b.zip", s.zipped(s.google()))], alerts=False
    )
    assert [i.outcome for i in first.inputs] == ["stored"]
    assert [i.outcome for i in again.inputs] == ["duplicate"]
    with app.database.transaction() as session:
        records = ReportStore(session).records(WEEK, WEEK + dt.timedelta(days=7))
    assert sum(r.count for r in records) == 280


def test_a_report_id_reused_by_another_reporter_or_range_is_another_report(
    app: App, tmp_path: Path
) -> None:
    """Report ids are not unique across reporters or date ranges (Mimecast, dmarc-srg#81)."""
    files = [
        _write(tmp_path, "1.xml", s.google()),
        _write(
            tmp_path, "2.xml", s.with_report_id(s.google(), "4317865120931726845", "mimecast.test")
        ),
        _write(tmp_path, "3.xml", s.shifted(s.google(), 1767139200, 1767225599)),
    ]
    result = service.ingest(app, files=files, alerts=False)
    assert [i.outcome for i in result.inputs] == ["stored", "stored", "stored"]


def test_stored_records_keep_reverse_names_and_auth_results(app: App, tmp_path: Path) -> None:
    """Reverse names come from our resolver (IPv4 and IPv6); auth results keep their domains."""
    service.ingest(app, files=[_write(tmp_path, "g.xml", s.google())], alerts=False)
    with app.database.transaction() as session:
        names = {
            r.source_ip: r.source_name
            for r in ReportStore(session).records(WEEK, WEEK + dt.timedelta(days=7))
        }
    assert names["198.51.100.70"] == "o1.mail.news-esp.test"
    assert names["2001:db8:0:10::25"] == "relay6.reports-lab.test"
    assert names["2001:db8:0:99::bad"] is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (s.BILLION_LAUGHS, "reports.xml_doctype"),
        (s.XXE, "reports.xml_doctype"),
        (b"<feedback><report_metadata>", "reports.invalid_xml"),
        (s.gz(s.google())[:200], "reports.truncated_gzip"),
        (s.zip_bomb(8 * 1024 * 1024), "reports.expands_too_far"),
        (s.google().replace(b"reports-lab.test", b"not-ours.test"), "reports.unwatched_domain"),
        (s.report_mail(b"hello", "hello.txt", "text/plain"), "reports.no_report_in_mail"),
    ],
    ids=[
        "billion_laughs",
        "xxe",
        "malformed",
        "truncated_gzip",
        "zip_bomb",
        "unwatched",
        "no_report",
    ],
)
def test_bad_input_is_recorded_with_its_reason_and_nothing_else_is_stored(
    app: App, tmp_path: Path, data: bytes, code: str
) -> None:
    """Never a crash, never a silent drop: the input row says what was wrong."""
    app.settings = app.settings.model_copy(
        update={
            "reports": app.settings.reports.model_copy(
                update={"max_expanded_bytes": 4 * 1024 * 1024}
            )
        }
    )
    result = service.ingest(app, files=[_write(tmp_path, "bad", data)], alerts=False)
    [outcome] = result.inputs
    assert (outcome.outcome, outcome.code) == ("rejected", code)
    with app.database.transaction() as session:
        store = ReportStore(session)
        assert store.input_counts(NOW - dt.timedelta(days=1)) == {("rejected", code): 1}
        assert store.records(WEEK, WEEK + dt.timedelta(days=7)) == []


def test_a_directory_is_read_file_by_file_and_left_in_place(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "rua"
    folder.mkdir()
    _write(folder, "google.zip", s.zipped(s.google()))
    _write(folder, "outlook.xml.gz", s.gz(s.microsoft()))
    _write(folder, "tls.json.gz", s.gz(s.tlsrpt()))
    _write(folder, "junk.bin", b"\x00\x01junk")
    result = service.ingest(app, directory=folder, alerts=False)
    assert sorted((i.origin, i.outcome) for i in result.inputs) == [
        ("file:google.zip", "stored"),
        ("file:junk.bin", "rejected"),
        ("file:outlook.xml.gz", "stored"),
        ("file:tls.json.gz", "stored"),
    ]
    assert len(list(folder.iterdir())) == 4


def test_weekly_figures_group_and_judge_the_sources(app: App, tmp_path: Path) -> None:
    """Our relays (own SPF), the configured ESP (aligning and not), and spoofers."""
    for name, data in [("g.xml", s.google()), ("m.xml", s.microsoft()), ("t.json", s.tlsrpt())]:
        service.ingest(app, files=[_write(tmp_path, name, data)], alerts=False)
    week = service.weekly_figures(app, WEEK)
    [domain] = week.domains
    assert (domain.messages, domain.dmarc_pass, domain.reports) == (375, 270, 2)
    groups = {src.group: src for src in domain.sources}
    assert groups["reports-lab.test"].status == "passing"
    assert groups["reports-lab.test"].via == "spf"
    assert (groups["News ESP"].status, groups["News ESP"].messages) == ("not_aligning", 65)
    assert groups["isp-sample.test"].status == "failing"
    assert not groups["isp-sample.test"].authorised
    assert groups["2001:db8:0:99::bad"].status == "failing"
    assert all(src.new for src in domain.sources)  # nothing seen before this week
    assert {src.group for src in domain.failing_sources} == {
        "isp-sample.test",
        "2001:db8:0:99::bad",
    }
    assert (domain.tls.failed, dict(domain.tls.by_type)) == (
        42,
        {"certificate-expired": 30, "starttls-not-supported": 12},
    )
    later = service.weekly_figures(app, WEEK + dt.timedelta(days=7))
    assert later.domains[0].messages == 0


def test_a_source_seen_in_an_earlier_week_is_not_new(app: App, tmp_path: Path) -> None:
    earlier = s.with_report_id(s.shifted(s.google(), 1766620800, 1766707199), "old")
    service.ingest(app, files=[_write(tmp_path, "old.xml", earlier)], alerts=False)
    service.ingest(app, files=[_write(tmp_path, "g.xml", s.google())], alerts=False)
    [domain] = service.weekly_figures(app, WEEK).domains
    assert domain.new_sources == ()


def test_a_spoofing_source_fires_one_alert_and_not_again(app: App, tmp_path: Path) -> None:
    """Done-when: one alert when a new unauthorised source appears, not one per report."""
    first = service.ingest(app, files=[_write(tmp_path, "g.xml", s.google())], deliver=False)
    assert first.alerting is not None
    fired = sorted(str(i.record.key) for _, i in first.alerting.enqueued)
    # 190 of 215 authorised messages passed (88%): below the default 90% as well
    assert fired == [
        "reports-lab.test/reports/reports.authorised_pass_share",
        "reports-lab.test/reports/reports.unauthorised_source:isp-sample.test",
    ]
    second = service.ingest(app, files=[_write(tmp_path, "m.xml", s.microsoft())], deliver=False)
    assert second.alerting is not None
    # the spoofer is still sighted (still firing, no new page); the pass share recovered
    assert [(i.record.key.code, i.reason.value) for _, i in second.alerting.enqueued] == [
        ("reports.authorised_pass_share", "resolved")
    ]


def test_tls_failures_and_a_weak_pass_share_fire_alerts(
    dns_server: EditableDns, database: Database, tmp_path: Path
) -> None:
    """TLS-RPT failures over the threshold; authorised senders passing DMARC too rarely."""
    settings = settings_for(
        dns_server,
        "[reports.alerts]\nauthorised_min_messages = 50\nauthorised_pass_share = 0.95\n",
    )
    app = App(
        settings,  # type: ignore[arg-type]
        clock=lambda: NOW,
        alerts_clock=lambda: NOW,
        environ={"SW_HOOK_SECRET": "whsec_" + "A" * 32},
        shared_database=database,
    )
    service.ingest(app, files=[_write(tmp_path, "t.json", s.tlsrpt())], alerts=False)
    result = service.ingest(app, files=[_write(tmp_path, "g.xml", s.google())], deliver=False)
    assert result.alerting is not None
    codes = sorted(i.record.key.code for _, i in result.alerting.enqueued)
    assert codes == [
        "reports.authorised_pass_share",
        "reports.tls_failures",
        "reports.unauthorised_source:isp-sample.test",
    ]


def test_a_large_reporter_going_silent_while_mail_flows_fires(app: App, tmp_path: Path) -> None:
    """Google reported a lot, then nothing for days while Microsoft still reports."""
    app.settings = app.settings.model_copy(
        update={
            "reports": app.settings.reports.model_copy(
                update={
                    "alerts": app.settings.reports.alerts.model_copy(
                        update={"large_reporter_messages": 100, "silent_reporter_days": 2}
                    )
                }
            )
        }
    )
    later = dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC)
    recent = s.microsoft().replace(
        b"<begin>1767312000</begin><end>1767398399</end>",
        b"<begin>1767571200</begin><end>1767657599</end>",
    )
    service.ingest(app, files=[_write(tmp_path, "g.xml", s.google())], alerts=False)
    service.ingest(app, files=[_write(tmp_path, "m.xml", recent)], alerts=False)
    app.alerts_clock = lambda: later
    outcome = service.alert(app, deliver=False)
    codes = {i.record.key.code for _, i in outcome.enqueued}
    assert "reports.reporter_silent:google.com" in codes


def test_week_names_are_parsed_and_bad_ones_refused() -> None:
    assert service.parse_week("2026-W01", NOW) == WEEK
    assert service.parse_week("2026-01-01", NOW) == WEEK
    assert service.parse_week(None, NOW) == WEEK
    assert service.parse_week("last", NOW) == WEEK - dt.timedelta(days=7)
    with pytest.raises(UsageError):
        service.parse_week("someday", NOW)
