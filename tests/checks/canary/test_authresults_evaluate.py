"""Evaluation: our DKIM signature among several, alignment modes, the From domain."""

from __future__ import annotations

import pytest

from checks.canary.authresults import Expectations, TrustPolicy, decide_trust
from checks.canary.authresults.alignment import aligned, organizational_domain
from checks.canary.authresults.evaluate import Evaluation, author_domain, evaluate
from checks.canary.authresults.signatures import parse_dkim_signature

AR = "Authentication-Results"
SIG_S1 = "v=1; a=rsa-sha256; d=example.com; s=s1; b=AbCdEfGhIjKl"
SIG_S1E = "v=1; a=ed25519-sha256; d=example.com; s=s1e; b=Ed25519xYz"
SIG_ESP = "v=1; a=rsa-sha256; d=esp.example.net; s=esp1; b=Mn0pQr5t"


def _evaluate(
    ar_values: list[str],
    sigs: list[str] = [SIG_S1],  # noqa: B006 - read-only default
    from_value: str = "Canary <canary@example.com>",
    expect: Expectations = Expectations(),  # noqa: B008 - frozen value
) -> Evaluation:
    decision = decide_trust([(AR, v) for v in ar_values], TrustPolicy(("mx.example.net",)))
    return evaluate(
        decision, author_domain([from_value]), [parse_dkim_signature(s) for s in sigs], expect
    )


@pytest.mark.parametrize(
    ("a", "b", "mode", "expected"),
    [
        ("mail.example.com", "example.com", "r", True),
        ("mail.example.com", "example.com", "s", False),
        ("EXAMPLE.com.", "example.com", "s", True),
        ("a.example.co.uk", "b.example.co.uk", "r", True),
        ("example.co.uk", "other.co.uk", "r", False),
        ("esp.example.net", "example.com", "r", False),
        (None, "example.com", "r", False),
    ],
)
def test_alignment_relaxed_uses_organisational_domain_strict_exact(
    a: str | None, b: str, mode: str, expected: bool
) -> None:
    """RFC 7489 §3.1: relaxed = same organisational domain (PSL), strict = equal."""
    assert aligned(a, b, mode) is expected  # type: ignore[arg-type]


def test_organisational_domain_of_a_public_suffix_is_itself() -> None:
    """`co.uk` has no registrable parent; comparing it must not crash."""
    assert organizational_domain("co.uk") == "co.uk"


def test_our_signature_is_chosen_among_several_by_domain_and_selector() -> None:
    """ESP, RSA and ed25519 signatures side by side; the expected selector order wins."""
    result = _evaluate(
        [
            "mx.example.net; dkim=pass header.d=esp.example.net header.s=esp1 header.b=Mn0pQr5t;"
            " dkim=pass header.d=example.com header.s=s1e header.b=Ed25519x;"
            " dkim=pass header.d=example.com header.s=s1 header.b=AbCdEfGh"
        ],
        sigs=[SIG_ESP, SIG_S1E, SIG_S1],
        expect=Expectations(dkim_selectors=("s1", "s1e")),
    )
    assert (result.dkim.result, result.dkim.selector, result.dkim.domain) == (
        "pass",
        "s1",
        "example.com",
    )
    assert result.dkim.aligned
    assert result.dkim.matched_signature


def test_failing_own_signature_is_reported_even_when_the_esp_signature_passes() -> None:
    """A pass for the ESP's d= says nothing about our domain (RFC 8601 §7.2)."""
    result = _evaluate(
        [
            "mx.example.net; dkim=pass header.d=esp.example.net header.b=Mn0pQr5t;"
            " dkim=fail header.d=example.com header.s=s1 header.b=AbCdEfGh"
        ],
        sigs=[SIG_ESP, SIG_S1],
    )
    assert (result.dkim.result, result.dkim.domain) == ("fail", "example.com")
    assert not result.ok


def test_only_esp_signature_passing_is_not_aligned() -> None:
    """Without our own signature the passing one does not align with From."""
    result = _evaluate(
        ["mx.example.net; dkim=pass header.d=esp.example.net header.b=Mn0pQr5t"], sigs=[SIG_ESP]
    )
    assert (result.dkim.result, result.dkim.aligned) == ("pass", False)


def test_strict_dkim_alignment_rejects_a_parent_domain_signature() -> None:
    """adkim=s: d=example.com does not align with From mail.example.com."""
    ar = ["mx.example.net; dkim=pass header.d=example.com header.s=s1; spf=pass; dmarc=pass"]
    relaxed = _evaluate(ar, from_value="canary@mail.example.com")
    strict = _evaluate(ar, from_value="canary@mail.example.com", expect=Expectations(adkim="s"))
    assert relaxed.dkim.aligned
    assert not strict.dkim.aligned


def test_gmail_header_i_and_microsoft_header_d_only_both_identify_the_signature() -> None:
    """Gmail gives `header.i=@d`, Microsoft only `header.d`: the selector comes from our header."""
    gmail = _evaluate(["mx.example.net; dkim=pass header.i=@example.com header.b=AbCdEfGh"])
    microsoft = _evaluate(["mx.example.net; dkim=pass header.d=example.com"])
    for result in (gmail, microsoft):
        assert (result.dkim.domain, result.dkim.selector) == ("example.com", "s1")
        assert result.dkim.matched_signature


def test_pass_for_a_signature_the_message_lacks_is_not_ok() -> None:
    """A reported pass must fit a DKIM-Signature the message carries."""
    result = _evaluate(
        ["mx.example.net; dkim=pass header.d=example.com header.s=s9; spf=pass; dmarc=pass"]
    )
    assert result.dkim.passed
    assert not result.dkim.matched_signature
    assert not result.ok


def test_body_hash_failure_is_recognised_in_comment_or_reason() -> None:
    """`body hash did not verify` means the body changed in transit (footer, rewrite)."""
    by_comment = _evaluate(
        ["mx.example.net; dkim=neutral (body hash did not verify) header.d=example.com"]
    )
    by_reason = _evaluate(['mx.example.net; dkim=fail reason="bad body hash" header.d=example.com'])
    assert by_comment.dkim.body_hash_mismatch
    assert by_reason.dkim.body_hash_mismatch


def test_spf_domain_is_the_mailfrom_domain_or_helo_for_a_null_sender() -> None:
    """RFC 7208 §2.4: a null reverse-path is checked by its HELO identity."""
    mailfrom = _evaluate(["mx.example.net; spf=pass smtp.mailfrom=bounce@mail.example.com"])
    null = _evaluate(["mx.example.net; spf=pass smtp.mailfrom=<> smtp.helo=out.example.org"])
    assert (mailfrom.spf.domain, mailfrom.spf.aligned) == ("mail.example.com", True)
    assert (null.spf.domain, null.spf.aligned) == ("out.example.org", False)


def test_spf_result_naming_mailfrom_is_preferred_within_the_top_header() -> None:
    """Some receivers report SPF for HELO and MAIL FROM separately."""
    result = _evaluate(
        ["mx.example.net; spf=none smtp.helo=out.example.org; spf=pass smtp.mailfrom=example.com"]
    )
    assert result.spf.result == "pass"


@pytest.mark.parametrize(
    ("values", "domain", "problem"),
    [
        ([""], None, "no From address"),
        (["a@example.com, b@example.org"], None, "2 From addresses with different domains"),
        (["a@example.com, b@example.com"], "example.com", "2 From addresses"),
        (["a@example.com", "b@example.com"], "example.com", "2 From header fields"),
        (["undisclosed-recipients:;"], None, "no From address"),
        (["no-domain"], None, "a From address has no domain"),
        (["Canary <canary@EXAMPLE.com>"], "example.com", None),
    ],
)
def test_zero_or_several_from_addresses_are_a_problem_not_a_crash(
    values: list[str], domain: str | None, problem: str | None
) -> None:
    """authheaders crashed on these (#10, #25); DMARC needs exactly one author domain."""
    author = author_domain(values)
    assert (author.domain, author.problem) == (domain, problem)


def test_provider_token_reaches_the_verdict_normalised_with_raw_kept() -> None:
    """`perm_fail` is a permerror for decisions; the raw token stays for people."""
    result = _evaluate(["mx.example.net; dkim=perm_fail header.d=example.com; dmarc=unknown"])
    assert (result.dkim.result, result.dkim.raw, result.dkim.mapped) == (
        "permerror",
        "perm_fail",
        True,
    )
    assert (result.dmarc.result, result.dmarc.raw) == ("indeterminate", "unknown")


def test_unknown_methods_are_carried_never_deciding() -> None:
    """compauth=fail does not fail the canary; it is shown as evidence."""
    result = _evaluate(
        [
            "mx.example.net; dkim=pass header.d=example.com header.s=s1; spf=pass "
            "smtp.mailfrom=example.com; dmarc=pass; compauth=fail reason=000; x-foo=bar"
        ]
    )
    assert result.ok
    assert [r.method for r in result.carried] == ["compauth", "x-foo"]
