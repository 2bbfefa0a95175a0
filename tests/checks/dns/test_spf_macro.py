"""SPF macro parsing and expansion (RFC 7208 §7), pure: no DNS."""

from __future__ import annotations

import pytest

from checks.dns._spf_macro import (
    Escape,
    Literal,
    Macro,
    MacroSyntaxError,
    domain_end_ok,
    expand,
    parse_macro_string,
    truncate_domain,
)

# The values of RFC 7208 §7.4's examples: sender strong-bad@email.example.com, IP 192.0.2.3.
RFC_VALUES = {
    "s": "strong-bad@email.example.com",
    "l": "strong-bad",
    "o": "email.example.com",
    "d": "email.example.com",
    "i": "192.0.2.3",
    "p": "unknown",
    "v": "in-addr",
    "h": "mx.example.org",
    "c": "192.0.2.3",
    "r": "unknown",
    "t": "1700000000",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_rfc_7208_section_7_4_examples_expand_exactly(text: str, expected: str) -> None:
    """The RFC's own examples are the ground truth every implementation is tested against."""
    assert expand(parse_macro_string(text), RFC_VALUES) == expected


def test_upper_case_macro_is_url_escaped() -> None:
    """%{S} is valid (case-insensitive letters, checkdmarc PR #257) and URL-escapes its value."""
    assert expand(parse_macro_string("%{S}"), RFC_VALUES) == "strong-bad%40email.example.com"
    assert expand(parse_macro_string("%{L}"), {"l": "a b"}) == "a%20b"


def test_escapes_expand_to_percent_space_and_encoded_space() -> None:
    """%%, %_ and %- are the only escapes (§7.1)."""
    tokens = parse_macro_string("a%%b%_c%-d", allow_space=True)
    assert tokens == (
        Literal("a"),
        Escape("%%", "%"),
        Literal("b"),
        Escape("%_", " "),
        Literal("c"),
        Escape("%-", "%20"),
        Literal("d"),
    )
    assert expand(tokens, {}) == "a%b c%20d"


def test_ipv6_i_macro_expands_nibbles() -> None:
    """%{i} of an IPv6 client is dotted nibbles, so %{ir} builds an ip6.arpa-like name."""
    nibbles = ".".join("20010db8000000000000000000000001")
    assert expand(parse_macro_string("%{ir}.%{v}"), {"i": nibbles, "v": "ip6"}).startswith(
        "1.0.0.0.0.0.0.0"
    )


def test_macro_token_records_its_transformers() -> None:
    """Parsing keeps digits, reversal and delimiters so expansion needs no re-parse."""
    (token,) = parse_macro_string("%{L2r-+}")
    assert token == Macro(
        text="%{L2r-+}", letter="l", digits=2, reverse=True, delimiters="-+", url_escape=True
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%{x}", "not a macro letter"),
        ("%{c}", "only in exp"),
        ("%{t}.example.test", "only in exp"),
        ("%{d0}", "nonzero"),
        ("%{d", "not closed"),
        ("%{}", "malformed"),
        ("%{dx}", "malformed"),
        ("%{d r}", "malformed"),
        ("%d", "is not a macro"),
        ("a%", "is not a macro"),
        ("a b", "not allowed"),
        ("caf\u00e9.test", "not allowed"),
    ],
)
def test_malformed_macros_are_rejected_with_a_reason(text: str, message: str) -> None:
    """Receivers permerror on a bad macro, so the check must name what is wrong."""
    with pytest.raises(MacroSyntaxError, match=message):
        parse_macro_string(text)


def test_exp_letters_are_allowed_in_explanation_text() -> None:
    """c, r and t belong to exp= text (§7.2)."""
    tokens = parse_macro_string("%{c} via %{r} at %{t}", allow_exp_letters=True, allow_space=True)
    assert expand(tokens, RFC_VALUES) == "192.0.2.3 via unknown at 1700000000"


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("example.test", True),
        ("example.test.", True),
        ("_spf.google.com", True),
        ("%{d}", True),
        ("%{i}._i.%{d}._d.espf.example", True),
        ("%{d}.test", True),
        ("%-", True),
        ("localhost", False),
        ("192.0.2.1", False),
        ("example.123", False),
        ("example.-test", False),
        ("example.test-", False),
        ("%{d}test", False),
        ("%{d}.", False),
        ("example.xn--p1ai", True),
        ("example.t-1", True),
    ],
)
def test_domain_end_follows_the_abnf(spec: str, ok: bool) -> None:
    """domain-end is '.' toplabel or a macro: `a:192.0.2.1` is an error, not a lookup."""
    assert domain_end_ok(parse_macro_string(spec)) is ok


def test_long_expansion_is_truncated_from_the_left() -> None:
    """§7.3: drop leading labels until the name fits 253 characters."""
    name = ".".join(["a" * 60] * 5) + ".example.test"
    short = truncate_domain(name)
    assert len(short) <= 253
    assert short.endswith(".example.test")
    assert name.endswith(short)
