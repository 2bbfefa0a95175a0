"""TlsRptCheck against real zones, and the TLS-RPT record parser behind the adapter."""

from __future__ import annotations

import pytest

from checks.base import CheckContext
from checks.dns import _checkdmarc
from checks.dns._checkdmarc import RecordRejected
from checks.dns.resolver import Resolver
from checks.dns.tlsrpt import Config, TlsRptCheck
from checks.result import CheckResult, Status


def run(resolver: Resolver, domain: str) -> CheckResult:
    return TlsRptCheck().run(domain, Config(), CheckContext(resolver=resolver))


CASES = [
    (
        "healthy.test",
        Status.PASS,
        set(),
        {"tlsrpt.present": True, "tlsrpt.rua": "mailto:tlsrpt@healthy.test"},
    ),
    ("dmarc-none.test", Status.WARN, {"tlsrpt.missing"}, {"tlsrpt.present": False}),
    ("sts-bad.test", Status.WARN, {"tlsrpt.syntax_error"}, {"tlsrpt.present": True}),
    (
        "sts-multi.test",
        Status.PASS,
        set(),
        {"tlsrpt.rua": "https://reports.sts-multi.test/tlsrpt,mailto:tls@sts-multi.test"},
    ),
]


@pytest.mark.parametrize(("domain", "status", "codes", "observations"), CASES)
def test_tlsrpt_case_table(
    resolver: Resolver,
    domain: str,
    status: Status,
    codes: set[str],
    observations: dict[str, object],
) -> None:
    """Each TLS-RPT record situation gets its status, its stable codes and its facts."""
    result = run(resolver, domain)
    assert result.status is status, result.findings
    assert result.codes() == codes
    for key, value in observations.items():
        assert result.observations[key] == value, key


def test_bad_rua_names_the_tag(resolver: Resolver) -> None:
    """An ftp: destination is not allowed (RFC 8460 §3); the finding says it is rua."""
    result = run(resolver, "sts-bad.test")
    (finding,) = result.findings
    assert (finding.details["tag"], finding.details["value"]) == (
        "rua",
        "ftp://reports.sts-bad.test",
    )


@pytest.mark.parametrize(
    ("text", "tag", "reason"),
    [
        ("v=TLSRPTv1; rua=ftp://x.test", "rua", "invalid_value"),
        ("v=TLSRPTv1;", "rua", "missing_tag"),
        ("v=TLSRPTv1; rua", "rua", "malformed"),
    ],
)
def test_parser_rejections_map_to_tag_and_reason(text: str, tag: str, reason: str) -> None:
    """checkdmarc's verdict, our stable location."""
    with pytest.raises(RecordRejected) as caught:
        _checkdmarc.parse_tlsrpt_record(text)
    assert (caught.value.tag, caught.value.reason) == (tag, reason)


def test_repeated_rua_tags_add_destinations() -> None:
    """RFC 8460 §3 lets a record declare several rua; all of them count."""
    parsed = _checkdmarc.parse_tlsrpt_record(
        "v=TLSRPTv1; rua=mailto:a@x.test; rua=https://r.test/in"
    )
    assert parsed.rua == ("mailto:a@x.test", "https://r.test/in")
