"""The parsedmarc adapter: both schemas, hostile XML refused fast, ranges in UTC."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from checks.reports.model import AggregateReport, Rejected, TlsReport
from checks.reports.parse import parse_document
from checks.reports.unpack import Document, documents
from tests.support import dmarc_samples as s


def _parse(data: bytes) -> AggregateReport | TlsReport:
    [doc] = documents(data)
    return parse_document(doc)


def test_rfc7489_report_with_optional_elements_ipv6_and_overrides() -> None:
    """Every record is kept with its results, IPv6 sources and override reasons included."""
    report = _parse(s.google())
    assert isinstance(report, AggregateReport)
    assert report.key[:3] == ("google.com", "4317865120931726845", "reports-lab.test")
    assert report.schema == "rfc7489"
    assert report.policy["p"] == "reject"
    assert report.messages == 280
    by_ip = {r.source_ip: r for r in report.records}
    assert by_ip["2001:db8:0:10::25"].dmarc_pass
    assert by_ip["198.51.100.70"].dkim_aligned and not by_ip["198.51.100.70"].spf_aligned
    spoof = by_ip["198.51.100.200"]
    assert (spoof.disposition, spoof.dmarc_pass, spoof.override_reasons) == (
        "reject",
        False,
        ("local_policy",),
    )
    esp = by_ip["198.51.100.70"]
    assert [a.domain for a in esp.auth if a.method == "dkim"] == [
        "reports-lab.test",
        "news-esp.test",
    ]


def test_rfc9990_namespaced_report_with_pass_disposition() -> None:
    """RFC 9990: namespace, generator, np/testing/discovery_method, disposition "pass"."""
    report = _parse(s.microsoft())
    assert isinstance(report, AggregateReport)
    assert report.schema == "rfc9990"
    assert report.policy["np"] == "reject"
    assert report.policy["discovery_method"] == "treewalk"
    assert [r.disposition for r in report.records] == ["pass", "reject"]


def test_tls_report_policies_and_failures() -> None:
    report = _parse(s.gz(s.tlsrpt()))
    assert isinstance(report, TlsReport)
    [policy] = report.policies
    assert (policy.domain, policy.successful, policy.failed) == ("reports-lab.test", 900, 42)
    assert {f.result_type: f.count for f in policy.failures} == {
        "certificate-expired": 30,
        "starttls-not-supported": 12,
    }


def test_the_date_range_is_utc_whatever_the_host_time_zone() -> None:
    """parsedmarc renders ranges in local time; we read the epoch seconds themselves."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        report = _parse(s.google())
    finally:
        if old is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = old
        time.tzset()
    assert isinstance(report, AggregateReport)
    assert report.begin == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("payload", [s.BILLION_LAUGHS, s.XXE], ids=["billion_laughs", "xxe"])
def test_entity_expansion_and_external_entities_are_refused_before_parsing(payload: bytes) -> None:
    """A DTD in a report is an attack: refused at once, nothing expanded, no file read."""
    started = time.monotonic()
    with pytest.raises(Rejected) as caught:
        _parse(payload)
    assert caught.value.code == "reports.xml_doctype"
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "data",
    [
        b"<feedback><report_metadata><org_name>x</org_name>",
        b"<feedback><nothing/></feedback>",
        b"<notdmarc>hello</notdmarc>",
    ],
    ids=["truncated", "empty", "other_xml"],
)
def test_malformed_xml_is_rejected_with_a_reason(data: bytes) -> None:
    with pytest.raises(Rejected) as caught:
        parse_document(Document("xml", data, "xml"))
    assert caught.value.code in {"reports.invalid_xml", "reports.parser_error"}
    assert caught.value.message


def test_broken_json_is_rejected_with_a_reason() -> None:
    with pytest.raises(Rejected) as caught:
        parse_document(Document("json", b'{"organization-name": ', "json"))
    assert caught.value.code == "reports.invalid_json"
