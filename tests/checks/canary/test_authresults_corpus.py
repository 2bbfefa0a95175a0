"""The header corpus: every provider form parses completely; every malformed one says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.canary.authresults import (
    AuthResults,
    parse_arc_authentication_results,
    parse_authentication_results,
)
from checks.canary.inspect import header_fields

CORPUS = Path(__file__).parents[2] / "corpus" / "authresults" / "headers"
PROVIDERS = [
    "gmail",
    "microsoft365",
    "yahoo",
    "fastmail",
    "postfix-opendkim-opendmarc",
    "rspamd",
    "amavis",
    "proton",
    "icloud",
    "rfc8601",
    "odd-but-valid",
]
_AR_NAMES = {"authentication-results", "x-ms-exchange-authentication-results"}


def _parsed(name: str) -> list[AuthResults]:
    path = next(CORPUS.glob(f"{name}.*"))
    out = []
    for field, value in header_fields(path.read_bytes()):
        if field.lower() in _AR_NAMES:
            out.append(parse_authentication_results(value))
        elif field.lower() == "arc-authentication-results":
            out.append(parse_arc_authentication_results(value))
    return out


def _summary(parsed: AuthResults) -> list[tuple[str, str]]:
    return [(r.method, r.result) for r in parsed.results]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_header_parses_without_problems(provider: str) -> None:
    """Real receivers' forms must be read whole: a dropped result is a false alarm."""
    headers = _parsed(provider)
    assert headers, f"no headers in {provider}"
    for parsed in headers:
        assert parsed.ok, (parsed.raw, parsed.problems)
        assert parsed.results or parsed.none


def test_gmail_arc_and_body_hash_forms() -> None:
    """Gmail: AAR i=1, arc=pass with its comment, `dkim=neutral (body hash did not verify)`."""
    aar, top, bh, _, lists = _parsed("gmail")
    assert (aar.instance, aar.authserv_id) == (1, "mx.google.com")
    assert _summary(top) == [("dkim", "pass"), ("arc", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert top.results[1].comments[0].startswith("i=1 spf=pass")
    assert bh.results[0].comments == ("body hash did not verify",)
    assert [r.prop("header.i") for r in lists.methods("dkim")] == [
        "@example.com",
        "@esp.example.net",
    ]


def test_microsoft_forms_parse_including_bestguesspass_and_arc_comment() -> None:
    """Microsoft 365: id-less AR, AAR with version, X-MS copy, odd dmarc tokens."""
    aar1, ar, xms, softfail, bestguess, failing, aar2 = _parsed("microsoft365")
    assert (aar1.authserv_id, aar1.version, aar1.instance) == ("mx.microsoft.com", "1", 1)
    assert ar.authserv_id is None
    assert _summary(ar) == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("compauth", "pass"),
    ]
    assert _summary(xms) == [("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass")]
    assert softfail.results[1].prop("header.d") == "none"
    assert bestguess.results[2].result == "bestguesspass"
    assert failing.results[2].prop("action") == "oreject"
    assert aar2.instance == 2
    assert "oda=1" in aar2.results[3].comments[0]


def test_yahoo_glued_comments_and_provider_tokens() -> None:
    """Yahoo: `dmarc=pass(p=REJECT)`, `dkim=perm_fail`, `dkim=unknown`."""
    first, ok_comment, perm_fail, unknown, _ = _parsed("yahoo")
    assert first.results[2].comments == ("p=REJECT",)
    assert ok_comment.results[0].comments == ("ok",)
    assert perm_fail.results[0].result == "perm_fail"
    assert _summary(unknown) == [("dkim", "unknown"), ("spf", "none"), ("dmarc", "unknown")]


def test_fastmail_policy_properties_and_extensions() -> None:
    """Fastmail: policy.* properties with hyphens, x-* methods, bare `x-bits=2048`."""
    _, full, _ = _parsed("fastmail")
    dmarc = full.methods("dmarc")[0]
    assert dmarc.prop("policy.published-domain-policy") == "reject"
    assert full.methods("dkim")[0].prop("x-bits") == "2048"
    assert full.methods("x-tls")[0].prop("smtp.bits") == "256/256"
    assert len(full.results) == 12


def test_postfix_milters_write_one_header_per_filter() -> None:
    """OpenDKIM/OpenDMARC/policyd-spf: separate headers, comments after properties."""
    headers = _parsed("postfix-opendkim-opendmarc")
    assert _summary(headers[0]) == [("dmarc", "pass")]
    assert headers[1].results[0].comments == ("1024-bit key; unprotected key",)
    assert headers[2].results[0].comments[-1].startswith("client-ip=192.0.2.10;")
    assert headers[3].results[0].reason == "signature verification failed"
    assert [r.prop("header.s") for r in headers[7].results] == ["s1", "s1e"]


def test_proton_and_icloud_split_results_over_several_headers() -> None:
    """Proton and iCloud write one header per method or signature (merged by trust rules)."""
    proton = _parsed("proton")
    assert [h.authserv_id for h in proton] == ["mail.protonmail.ch"] * 5
    assert [r.method for h in proton for r in h.results] == ["dkim", "dmarc", "spf", "arc", "dkim"]
    icloud = _parsed("icloud")
    assert {h.authserv_id for h in icloud} == {
        "bimi.icloud.com",
        "dmarc.icloud.com",
        "dkim-verifier.icloud.com",
        "spf.icloud.com",
    }
    assert icloud[0].results[0].reason == "insufficient dmarc"


def test_rspamd_and_amavis_forms() -> None:
    """rspamd quotes inside comments; Amavis comments the authserv-id and quotes header.b."""
    rspamd = _parsed("rspamd")
    assert rspamd[1].results[0].comments == ('"body hash did not verify"',)
    assert rspamd[1].results[1].reason == "SPF not aligned (relaxed), DKIM not aligned (relaxed)"
    amavis = _parsed("amavis")
    assert amavis[0].comments == ("amavisd-new",)
    assert amavis[0].results[0].prop("header.b") == "AbCdEfGh"


def test_every_malformed_header_reports_a_problem() -> None:
    """Each line of malformed.txt is broken in its own way; none may pass silently."""
    for parsed in _parsed("malformed"):
        assert parsed.problems, parsed.raw


@pytest.mark.parametrize("name", ["hostile-bytes", "hostile-large", "hostile-nesting"])
def test_hostile_files_parse_to_results_or_problems(name: str) -> None:
    """NULs, invalid UTF-8, 70 KB headers and 20,000 open parentheses do not raise."""
    headers = _parsed(name)
    assert headers
    assert any(h.problems for h in headers)
    for parsed in headers:
        assert parsed.ok or parsed.problems
