"""Unit tests of which report destinations need authorisation (pure; no DNS)."""

from __future__ import annotations

from checks.dns._dmarc_record import parse_dmarc_record
from checks.dns._dmarc_reports import _external_hosts


def _hosts(policy_domain: str, record: str) -> dict[str, tuple[str, str]]:
    parsed = parse_dmarc_record(record)
    uris = [("rua", u) for u in parsed.rua] + [("ruf", u) for u in parsed.ruf]
    return _external_hosts(policy_domain, uris)


def test_same_organization_hosts_need_no_authorisation() -> None:
    """reports.example.test reports for example.test without any record (checkdmarc #21)."""
    assert _hosts("example.test", "v=DMARC1; rua=mailto:a@reports.example.test") == {}


def test_u_label_destination_of_an_idn_domain_is_not_external() -> None:
    """bücher.test and xn--bcher-kva.test are one domain; comparing forms would misfire."""
    assert _hosts("xn--bcher-kva.test", "v=DMARC1; rua=mailto:a@Bücher.test") == {}


def test_each_external_host_is_asked_once_under_its_first_tag() -> None:
    """One query per destination host, whatever the number of URIs pointing at it."""
    record = "v=DMARC1; rua=mailto:a@Agg.test,mailto:b@agg.test; ruf=mailto:c@agg.test"
    assert _hosts("example.test", record) == {"agg.test": ("rua", "mailto:a@agg.test")}
