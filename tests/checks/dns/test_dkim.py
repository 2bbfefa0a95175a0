"""DkimCheck against real zones served by Knot: one row per selector situation.

The keys in tests/zones/dkim-*.zone are real: generated once (RSA 512/1024/2048 with openssl,
RSA 4096/8192/16384/32768 and Ed25519 with `cryptography`) and pasted in as base64. The
16384- and 32768-bit records are 2.8 and 5.5 kB: over UDP they come back truncated, so these
cases also prove the resolver's fall-back to TCP against Knot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from checks.base import CheckContext
from checks.dns.dkim import Config, DkimCheck
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Severity, Status

if TYPE_CHECKING:
    from tests.conftest import EditableDns

KEY_2048_SHA256 = "315d462f1f58d28c82d46b98c9ab72c1f72db577816e8514efb67684cb345eea"


def run(resolver: Resolver, domain: str, config: Config) -> CheckResult:
    return DkimCheck().run(domain, config, CheckContext(resolver=resolver))


# (domain, selector, status, codes, observations under dkim.<selector>.)
CASES = [
    (
        "healthy.test",
        "s1",
        Status.PASS,
        set(),
        {
            "present": True,
            "key_type": "rsa",
            "key_bits": 2048,
            "revoked": False,
            "testing": False,
            "cname": "",
            "key_sha256": KEY_2048_SHA256,
        },
    ),
    ("dkim-keys.test", "s2048", Status.PASS, set(), {"key_bits": 2048}),
    ("dkim-keys.test", "s1024", Status.WARN, {"dkim.key_weak"}, {"key_bits": 1024}),
    ("dkim-keys.test", "s512", Status.FAIL, {"dkim.key_too_short"}, {"key_bits": 512}),
    ("dkim-keys.test", "testing", Status.WARN, {"dkim.testing"}, {"testing": True}),
    (
        "dkim-keys.test",
        "revoked",
        Status.FAIL,
        {"dkim.key_revoked"},
        {"present": True, "revoked": True},
    ),
    (
        "dkim-keys.test",
        "ed",
        Status.PASS,
        set(),
        {"key_type": "ed25519", "key_bits": 256, "revoked": False},
    ),
    ("dkim-keys.test", "sha1", Status.FAIL, {"dkim.sha1_only"}, {"key_bits": 2048}),
    ("dkim-keys.test", "sha1sha256", Status.PASS, set(), {"key_bits": 2048}),
    ("dkim-keys.test", "s4096", Status.PASS, set(), {"key_bits": 4096}),
    ("dkim-keys.test", "s8192", Status.WARN, {"dkim.key_too_long"}, {"key_bits": 8192}),
    ("dkim-keys.test", "s16384", Status.WARN, {"dkim.key_too_long"}, {"key_bits": 16384}),
    ("dkim-keys.test", "s32768", Status.WARN, {"dkim.key_too_long"}, {"key_bits": 32768}),
    (
        "dkim-keys.test",
        "multi",
        Status.FAIL,
        {"dkim.multiple_records", "dkim.key_too_short"},
        {"present": True},
    ),
    ("dkim-keys.test", "garbled", Status.FAIL, {"dkim.key_invalid"}, {"present": True}),
    ("dkim-keys.test", "notakey", Status.FAIL, {"dkim.key_invalid"}, {"present": True}),
    ("dkim-keys.test", "dsa", Status.FAIL, {"dkim.key_type_not_allowed"}, {"key_type": "dsa"}),
    (
        "dkim-keys.test",
        "cnamed",
        Status.PASS,
        set(),
        {
            "present": True,
            "cname": "cnamed.keys.dkim-provider.test",
            "key_sha256": KEY_2048_SHA256,
        },
    ),
    (
        "dkim-keys.test",
        "absent",
        Status.FAIL,
        {"dkim.cname_key_absent"},
        {"present": False, "cname": "absent.keys.dkim-provider.test"},
    ),
    (
        "dkim-keys.test",
        "empty",
        Status.FAIL,
        {"dkim.cname_key_absent"},
        {"present": False, "cname": "empty.keys.dkim-provider.test"},
    ),
    (
        "dkim-keys.test",
        "nosuch",
        Status.FAIL,
        {"dkim.selector_missing"},
        {"present": False, "cname": ""},
    ),
    ("bücher.test", "s1", Status.PASS, set(), {"key_type": "ed25519"}),
    (
        "dkim-keys.test",
        "eight",
        Status.PASS,
        set(),
        {"present": True, "key_bits": 2048, "cname": "h32.chain-b.test"},
    ),
    (
        "dkim-keys.test",
        "nine",
        Status.FAIL,
        {"dkim.cname_chain_too_long"},
        {"present": False, "cname": "h32.chain-b.test"},
    ),
    (
        "dkim-keys.test",
        "long",
        Status.FAIL,
        {"dkim.cname_chain_too_long"},
        {"present": False, "cname": "h9.chain-a.test"},
    ),
    (
        "dkim-keys.test",
        "loop",
        Status.FAIL,
        {"dkim.cname_loop"},
        {"present": False, "cname": "loop.chain-a.test"},
    ),
]


@pytest.mark.parametrize(
    ("domain", "selector", "status", "codes", "observations"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_dkim_case_table(
    resolver: Resolver,
    domain: str,
    selector: str,
    status: Status,
    codes: set[str],
    observations: dict[str, object],
) -> None:
    """Each published key situation gets its status, its stable codes and its facts."""
    result = run(resolver, domain, Config(selectors=(selector,)))
    assert result.status is status, result.findings
    assert result.codes() == codes
    for key, value in observations.items():
        assert result.observations[f"dkim.{selector}.{key}"] == value, key


def test_one_result_covers_every_selector(resolver: Resolver) -> None:
    """A domain with several selectors yields one result whose worst selector sets the status."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("s2048", "ed", "s1024")))
    assert result.check == "dkim"
    assert result.status is Status.WARN
    assert result.codes() == {"dkim.key_weak"}
    assert {k.split(".")[1] for k in result.observations} == {"s2048", "ed", "s1024"}


def test_no_selectors_warns_instead_of_passing(resolver: Resolver) -> None:
    """Selectors cannot be discovered; a green DKIM line with nothing checked would mislead."""
    result = run(resolver, "healthy.test", Config())
    assert result.status is Status.WARN
    assert result.codes() == {"dkim.no_selectors"}
    assert resolver.queries_sent == 0


def test_min_key_bits_raises_the_bar_for_rsa_only(resolver: Resolver) -> None:
    """An operator asking for 4096-bit RSA is warned about 2048; Ed25519 is not an RSA size."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("s2048", "ed"), min_key_bits=4096))
    (finding,) = result.findings
    assert finding.code == "dkim.key_weak"
    assert finding.details == {"selector": "s2048", "key_bits": 2048, "expected_bits": 4096}


def test_rsa_key_over_4096_bits_warns_with_the_reason(resolver: Resolver) -> None:
    """RFC 8301 §3.2 obliges verifiers to handle only up to 4096 bits: bigger may not verify."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("s16384",)))
    (finding,) = result.findings
    assert finding.code == "dkim.key_too_long"
    assert finding.details == {"selector": "s16384", "key_bits": 16384, "limit_bits": 4096}
    assert "RFC 8301" in finding.message and "may fail to verify" in finding.message


def test_sha1_only_key_fails_every_signature(resolver: Resolver) -> None:
    """h=sha1 leaves no hash a verifier may use (RFC 8301 §3.1): a failure, not a warning."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("sha1", "sha1sha256")))
    (finding,) = result.findings
    assert (finding.code, finding.severity) == ("dkim.sha1_only", Severity.CRITICAL)
    assert finding.details == {"selector": "sha1", "hashes": ["sha1"]}
    assert result.status is Status.FAIL


def test_key_type_outside_the_allowed_list_fails(resolver: Resolver) -> None:
    """An operator who allows only RSA must hear about an Ed25519 selector."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("ed",), allowed_key_types=("rsa",)))
    assert result.status is Status.FAIL
    assert result.codes() == {"dkim.key_type_not_allowed"}


def test_cname_to_absent_key_keeps_the_chain(resolver: Resolver) -> None:
    """ESP delegation broken at the provider is its own finding, with the chain to follow."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("absent",)))
    (finding,) = result.findings
    assert finding.details["chain"] == [
        "absent._domainkey.dkim-keys.test",
        "absent.keys.dkim-provider.test",
    ]


def test_split_txt_strings_are_joined_and_kept_in_evidence(resolver: Resolver) -> None:
    """A 2048-bit key needs several TXT strings; they are one key, shown as published."""
    result = run(resolver, "healthy.test", Config(selectors=("s1",)))
    evidence = result.evidence["selectors"]["s1"]
    assert len(evidence["strings"][0]) > 1
    assert evidence["records"] == ["".join(evidence["strings"][0])]


def test_invalid_key_names_tag_and_reason(resolver: Resolver) -> None:
    """A malformed key says which tag is wrong and how."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("garbled",)))
    (finding,) = result.findings
    assert (finding.details["tag"], finding.details["reason"]) == ("p", "bad_base64")


def test_rotated_key_changes_the_key_hash(editable_dns: EditableDns) -> None:
    """A rotated key of the same size and type must still show up as a change."""
    base = editable_dns.resolver()
    before = run(base.fresh(), "dkim-keys.test", Config(selectors=("ed",)))
    editable_dns.edit(
        "dkim-keys.test",
        "p=L/EfLUB16ebhSUJN8v/6XGlC5KoxkHj1oBt3KgstyZM=",
        "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    )
    after = run(base.fresh(), "dkim-keys.test", Config(selectors=("ed",)))
    assert before.observations["dkim.ed.key_bits"] == after.observations["dkim.ed.key_bits"]
    assert before.observations["dkim.ed.key_sha256"] != after.observations["dkim.ed.key_sha256"]


def test_cname_chain_longer_than_resolvers_follow_is_not_a_missing_key(
    resolver: Resolver,
) -> None:
    """32 cross-zone hops end in a key no receiver reaches: say the chain is too long."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("long",)))
    (finding,) = result.findings
    assert finding.code == "dkim.cname_chain_too_long"
    assert (finding.details["hops"], finding.details["limit"]) == (9, 8)
    assert finding.details["chain"][:2] == ["long._domainkey.dkim-keys.test", "h1.chain-a.test"]
    assert "holds no key" not in finding.message
    assert "9 CNAMEs" in finding.message and "at most 8" in finding.message
    assert resolver.queries_sent == 9  # gives up at the limit, never walks all 32


def test_cname_loop_is_reported_as_a_loop(resolver: Resolver) -> None:
    """A loop has no end to hold a key; the finding names where it comes back."""
    result = run(resolver, "dkim-keys.test", Config(selectors=("loop",)))
    (finding,) = result.findings
    assert finding.code == "dkim.cname_loop"
    assert finding.details["chain"] == [
        "loop._domainkey.dkim-keys.test",
        "loop.chain-a.test",
        "loop.chain-b.test",
        "loop.chain-a.test",
    ]
    assert "loops back to loop.chain-a.test" in finding.message


@pytest.mark.parametrize("selector", ["bad..sel", "x" * 64])
def test_selector_that_cannot_be_a_dns_name_is_a_finding(resolver: Resolver, selector: str) -> None:
    """A typo in the configured selector is reported, never a crash of the run."""
    result = run(resolver, "healthy.test", Config(selectors=(selector, "s1")))
    assert result.status is Status.FAIL
    assert result.codes() == {"dkim.selector_invalid"}
    assert result.observations["dkim.s1.present"] is True
    assert resolver.queries_sent == 1
