"""MtaStsCheck against real zones, and the MTA-STS record parser behind the adapter."""

from __future__ import annotations

import pytest

from checks.base import CheckContext
from checks.dns import _checkdmarc
from checks.dns._checkdmarc import RecordRejected
from checks.dns.mta_sts import Config, MtaStsCheck
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Status


def run(resolver: Resolver, domain: str) -> CheckResult:
    return MtaStsCheck().run(domain, Config(), CheckContext(resolver=resolver))


CASES = [
    (
        "healthy.test",
        Status.PASS,
        set(),
        {"mta_sts.present": True, "mta_sts.id": "20250101000000"},
    ),
    ("dmarc-none.test", Status.WARN, {"mta_sts.missing"}, {"mta_sts.present": False}),
    ("sts-bad.test", Status.WARN, {"mta_sts.syntax_error"}, {"mta_sts.present": True}),
    ("sts-multi.test", Status.WARN, {"mta_sts.multiple_records"}, {"mta_sts.present": True}),
    ("bücher.test", Status.PASS, set(), {"mta_sts.id": "idn1"}),
]


@pytest.mark.parametrize(("domain", "status", "codes", "observations"), CASES)
def test_mta_sts_case_table(
    resolver: Resolver,
    domain: str,
    status: Status,
    codes: set[str],
    observations: dict[str, object],
) -> None:
    """Each MTA-STS record situation gets its status, its stable codes and its facts."""
    result = run(resolver, domain)
    assert result.status is status, result.findings
    assert result.codes() == codes
    for key, value in observations.items():
        assert result.observations[key] == value, key
    assert result.versions == {"checkdmarc": _checkdmarc.CHECKDMARC_VERSION}


def test_bad_id_names_the_tag_and_keeps_the_record(resolver: Resolver) -> None:
    """A malformed record tells which tag to fix, and the record is kept for the debug view."""
    result = run(resolver, "sts-bad.test")
    (finding,) = result.findings
    assert (finding.details["tag"], finding.details["value"]) == ("id", "not-alnum!")
    assert finding.severity == "warning"
    assert result.evidence["record"] == "v=STSv1; id=not-alnum!;"
    assert "mta_sts.id" not in result.observations


@pytest.mark.parametrize(
    ("text", "tag", "reason"),
    [
        ("v=STSv1; id=not-alnum!;", "id", "invalid_value"),
        ("v=STSv1; id=" + "a" * 33, "id", "invalid_value"),
        ("v=STSv1;", "id", "missing_tag"),
        ("v=STSv1; id", "id", "malformed"),
    ],
)
def test_parser_rejections_map_to_tag_and_reason(text: str, tag: str, reason: str) -> None:
    """checkdmarc's verdict, our stable location: never its English sentence as a code."""
    with pytest.raises(RecordRejected) as caught:
        _checkdmarc.parse_mta_sts_record(text)
    assert (caught.value.tag, caught.value.reason) == (tag, reason)


def test_parser_warnings_map_to_codes() -> None:
    """checkdmarc's remarks become stable code suffixes with the tag they concern."""
    parsed = _checkdmarc.parse_mta_sts_record("v=STSv1 ; id=abc; ext=1; id=def")
    assert parsed.tags["id"] == "abc"
    assert [(n.code, n.tag) for n in parsed.notes] == [
        ("version_whitespace", ""),
        ("unknown_tag", "ext"),
        ("duplicate_tag", "id"),
    ]
