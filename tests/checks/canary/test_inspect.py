"""inspect_message on whole messages: verdict, stable codes, exact observation keys, evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.canary.inspect import (
    OBSERVATION_KEYS,
    Expectations,
    Inspection,
    TrustPolicy,
    inspect_message,
)
from checks.result import Severity
from tests.support.authres_messages import many_results

MESSAGES = Path(__file__).parents[2] / "corpus" / "authresults" / "messages"
MX = TrustPolicy(("mx.example.net",))
EXPECT = Expectations(from_domain="example.com", dkim_selectors=("s1", "s1e"))


def _inspect(name: str, policy: TrustPolicy = MX, expect: Expectations = EXPECT) -> Inspection:
    return inspect_message((MESSAGES / f"{name}.eml").read_bytes(), policy, expect)


def test_all_pass_message_is_ok_with_exact_observations() -> None:
    """The happy path: every key drift compares, with normalised values."""
    inspection = _inspect("all-pass")
    assert inspection.ok
    assert inspection.findings == ()
    assert dict(inspection.observations) == {
        "canary.spf": "pass",
        "canary.dkim": "pass",
        "canary.dmarc": "pass",
        "canary.dkim_aligned": True,
        "canary.spf_aligned": True,
        "canary.dkim_selector": "s1",
        "canary.dkim_domain": "example.com",
        "canary.arc": "none",
        "canary.tls": True,
    }
    assert inspection.received_at is not None
    assert inspection.received_at.isoformat() == "2026-11-28T01:00:01+00:00"
    assert inspection.connecting_ip == "192.0.2.10"


@pytest.mark.parametrize(
    ("name", "policy", "codes"),
    [
        ("forged-below", MX, {"canary.spf_fail", "canary.dkim_fail", "canary.dmarc_fail"}),
        ("forged-attached", MX, {"canary.dkim_none", "canary.dmarc_fail", "canary.no_tls"}),
        (
            "body-hash",
            TrustPolicy(("mx.google.com",)),
            {"canary.dkim_fail", "canary.dkim_body_hash"},
        ),
        ("dual-signature", MX, {"canary.spf_not_aligned"}),
        ("m365", TrustPolicy((), "microsoft365"), set()),
        # Untrusted receiver: the Received hop is a fallback guess (an internal hop here).
        (
            "all-pass",
            TrustPolicy(("mx.example.org",)),
            {"canary.no_trusted_results", "canary.no_tls"},
        ),
        ("m365", MX, {"canary.no_trusted_results", "canary.no_tls"}),
    ],
)
def test_each_message_yields_its_stable_codes(
    name: str, policy: TrustPolicy, codes: set[str]
) -> None:
    """Codes, not sentences, are what drift and alerts compare."""
    inspection = _inspect(name, policy)
    assert inspection.codes() == codes
    assert set(inspection.observations) == set(OBSERVATION_KEYS)


def test_forged_header_below_the_receivers_never_produces_a_pass() -> None:
    """RFC 8601 §7.1/§7.3: the sender's copy of the trusted id is shadowed, and shown."""
    inspection = _inspect("forged-below")
    assert not inspection.ok
    assert inspection.observations["canary.dkim"] == "fail"
    reasons = [i["reason"] for i in inspection.evidence["ignored"]]
    assert reasons == [
        "below the receiver's own Received header, which it writes its results above: "
        "the header arrived with the message"
    ]
    assert all(f.severity is Severity.CRITICAL for f in inspection.findings)


def test_header_inside_an_attached_message_is_never_read() -> None:
    """RFC 8601 §7.10: encapsulated instances are ignored entirely."""
    inspection = _inspect("forged-attached")
    assert len(inspection.trust.trusted) == 1
    assert inspection.observations["canary.dkim"] == "none"
    assert inspection.evidence["dkim_signatures"] == []


def test_microsoft365_message_is_trusted_by_agreement_and_finds_the_border_hop() -> None:
    """No authserv-id: the ARC i=1 copy and the Exchange copy must agree."""
    inspection = _inspect("m365", TrustPolicy((), "microsoft365"))
    assert inspection.ok
    assert "microsoft365" in inspection.evidence["authentication_results"][0]["basis"]
    assert len(inspection.evidence["microsoft_copies"]) == 2
    assert inspection.receiving_hop is not None
    assert inspection.receiving_hop.index == 3
    assert inspection.connecting_ip == "192.0.2.10"
    assert inspection.evidence["carried"] == ["compauth=pass"]


def test_dual_signature_reports_the_preferred_selector() -> None:
    """RSA + ed25519 both pass: the first expected selector is the one observed."""
    inspection = _inspect("dual-signature", expect=Expectations("example.com", ("s1e", "s1")))
    assert inspection.ok
    assert inspection.observations["canary.dkim_selector"] == "s1e"
    assert len(inspection.evidence["dkim_results"]) == 3


def test_unexpected_selector_is_a_warning() -> None:
    """A key rotation that nobody announced shows as a selector surprise."""
    inspection = _inspect("all-pass", expect=Expectations("example.com", ("s2",)))
    assert inspection.ok
    assert inspection.codes() == {"canary.selector_unexpected"}


def test_from_domain_other_than_expected_is_a_warning() -> None:
    """The canary's From is ours; another domain means the wrong template was used."""
    inspection = _inspect("all-pass", expect=Expectations("example.org"))
    assert inspection.codes() == {"canary.from_unexpected"}


def test_message_without_any_header_block_is_a_finding_not_a_crash() -> None:
    """Garbage in (an empty inbox fetch, binary junk) gives findings, never an exception."""
    inspection = inspect_message(b"\x00\xff garbage", MX, EXPECT)
    assert not inspection.ok
    assert "canary.no_trusted_results" in inspection.codes()
    assert "canary.from_invalid" in inspection.codes()
    assert inspection.received_at is None


def test_damaged_trusted_header_is_an_error_not_a_partial_verdict() -> None:
    """A receiver header that lost a result cannot prove DKIM failed: what it said is unknown."""
    # This used to warn `canary.ar_malformed` and report `canary.dkim_none`, a reason that
    # was not true (docs/authentication-results.md, trust rule 5).
    raw = (
        b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com; "
        b"dkim=pass (broken header.d=example.com\n"
        b"From: canary@example.com\n\nbody\n"
    )
    inspection = inspect_message(raw, MX, EXPECT)
    assert inspection.verdict == "error"
    assert inspection.codes() == {"canary.ar_unreadable", "canary.no_tls"}
    [finding] = [f for f in inspection.findings if f.code == "canary.ar_unreadable"]
    assert finding.unmeasurable
    assert "unterminated comment at offset" in finding.message


def test_trusted_header_with_a_problem_that_lost_nothing_still_warns() -> None:
    """NUL bytes are reported, but every result was read: the verdict stands, with a warning."""
    raw = (
        b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com (\x00); "
        b"dkim=fail header.d=example.com\n"
        b"From: canary@example.com\n\nbody\n"
    )
    inspection = inspect_message(raw, MX, EXPECT)
    assert inspection.verdict == "fail"
    assert {"canary.ar_malformed", "canary.dkim_fail"} <= inspection.codes()
    assert inspection.observations["canary.spf"] == "pass"


def test_to_dict_is_json_serialisable_and_versioned() -> None:
    """The --format json document is stable: version, ok, observations, methods, findings."""
    document = _inspect("body-hash", TrustPolicy(("mx.google.com",))).to_dict()
    text = json.dumps(document)
    assert json.loads(text)["version"] == 1
    assert list(document) == ["version", "ok", "observations", "methods", "findings", "evidence"]
    assert document["methods"]["dkim"]["body_hash_mismatch"] is True


LAB = TrustPolicy(("mx.lab-inbox.test",))
LAB_EXPECT = Expectations("lab-sender.test", ("s1",))


def test_message_captured_from_the_real_postfix_lab_passes() -> None:
    """Real Postfix + OpenDKIM + OpenDMARC + policyd-spf headers, as the e2e lab writes them."""
    inspection = _inspect("lab-postfix-pass", LAB, LAB_EXPECT)
    assert inspection.ok
    assert inspection.codes() == set()
    assert len(inspection.trust.trusted) == 3
    assert inspection.observations["canary.tls"] is True


def test_forged_header_through_the_real_lax_border_is_ignored() -> None:
    """A lax border keeps the sender's forged header; it sits below the receiver's Received."""
    inspection = _inspect("lab-lax-border-forged", LAB, LAB_EXPECT)
    assert not inspection.ok
    assert inspection.observations["canary.dkim"] == "none"
    assert inspection.observations["canary.spf"] == "fail"
    assert len(inspection.trust.ignored) == 1


def test_expected_from_domain_in_unicode_matches_its_a_label_form() -> None:
    """IDN: the expectation may be written in U-labels; From carries A-labels."""
    raw = (
        (MESSAGES / "all-pass.eml")
        .read_bytes()
        .replace(b"canary@example.com>", b"canary@xn--bcher-kva.example>")
    )
    inspection = inspect_message(raw, MX, Expectations("bücher.example"))
    assert "canary.from_unexpected" not in inspection.codes()


def test_oversized_trusted_header_is_error_not_fallthrough() -> None:
    """1,200 results put the receiver's fail over 64 KiB; the forged pass below must not decide."""
    raw = many_results(1200)
    inspection = inspect_message(raw, MX, EXPECT)
    assert inspection.verdict == "error"
    assert not inspection.ok
    assert inspection.codes() == {"canary.ar_unreadable"}
    [finding] = inspection.findings
    assert "mx.example.net" in finding.message
    assert "over 65536; not read" in finding.message
    reasons = [i["reason"] for i in inspection.evidence["ignored"]]
    assert reasons == [
        "below the receiver's own Received header, which it writes its results above: "
        "the header arrived with the message"
    ]
    assert inspection.trust.trusted == ()


def test_receiver_header_with_few_results_is_judged_as_written() -> None:
    """The same message with 10 results: the receiver's header is read and says fail."""
    inspection = inspect_message(many_results(10), MX, EXPECT)
    assert inspection.verdict == "fail"
    assert {"canary.spf_fail", "canary.dkim_fail", "canary.dmarc_fail"} <= inspection.codes()


def test_oversized_header_below_a_gmail_style_receiver_is_error_not_fallthrough() -> None:
    """Receivers writing beneath their Received (Gmail): the same attack, the same error."""
    results = ";\n\t".join(
        f"dkim=fail header.i=@example.com header.s=x{i:04d} header.b=Fail{i:04d}"
        for i in range(1200)
    )
    raw = (
        "Received: from mail.example.com (mail.example.com. [192.0.2.10])\n"
        "        by mx.google.com with ESMTPS id a1; Sat, 28 Nov 2026 01:00:01 -0800 (PST)\n"
        "Received-SPF: fail (google.com: domain of bounce@example.com does not designate "
        "192.0.2.10 as permitted sender) client-ip=192.0.2.10;\n"
        "Authentication-Results: mx.google.com;\n\tspf=fail smtp.mailfrom=example.com;\n\t"
        f"{results}\n"
        "Authentication-Results: mx.google.com; dkim=pass header.i=@example.com header.s=s1; "
        "spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com\n"
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; b=AbCdEfGh\n"
        "From: canary@example.com\n\nbody\n"
    ).encode()
    inspection = inspect_message(raw, TrustPolicy(("mx.google.com",)), EXPECT)
    assert len(raw) > 70_000
    assert inspection.verdict == "error"
    assert inspection.codes() == {"canary.ar_unreadable"}
    [ignored] = inspection.evidence["ignored"]
    assert ignored["reason"].startswith("below the receiver's own header, which it writes once")


def test_header_block_over_the_limit_is_an_error_finding() -> None:
    """A header block over 1 MiB is not read; the round trip records why, never a crash."""
    filler = b"".join(b"X-Filler: %07d\n" % i for i in range(80_000))
    raw = b"Authentication-Results: mx.example.net; spf=pass\n" + filler + b"\nbody\n"
    inspection = inspect_message(raw, MX, EXPECT)
    assert inspection.verdict == "error"
    assert inspection.codes() == {"canary.headers_too_large"}
    assert "1 MiB" in inspection.findings[0].message
