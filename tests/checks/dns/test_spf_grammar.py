"""SPF record selection and grammar (RFC 7208 §4.5, §5, §6, §12), pure: no DNS."""

from __future__ import annotations

import ipaddress

import pytest

from checks.dns._spf_grammar import is_spf_record, looks_like_spf, parse_record, parse_term


@pytest.mark.parametrize(
    ("text", "selected"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SPF1 -all", True),
        ("v=spf1  mx   -all  ", True),
        ("v=spf10 -all", False),
        ("v=spf1\t-all", False),
        ("v=spf1.0 -all", False),
        (" v=spf1 -all", False),
        ("spf2.0/pra -all", False),
        ("google-site-verification=x", False),
    ],
)
def test_record_selection_needs_version_then_space_or_end(text: str, selected: bool) -> None:
    """§4.5: only 'v=spf1' followed by a space or the end selects a record."""
    assert is_spf_record(text) is selected


def test_near_misses_are_recognised_for_the_hint() -> None:
    """A record a receiver ignores but a human thinks is SPF deserves a hint."""
    assert looks_like_spf("v=spf1\tmx -all")
    assert looks_like_spf("v=spf10")
    assert not looks_like_spf("v=spf1 mx")


def test_parse_record_refuses_a_record_that_was_not_selected() -> None:
    """Parsing a non-SPF TXT would invent terms from unrelated text."""
    with pytest.raises(ValueError, match="not an SPF record"):
        parse_record("v=spf10 -all")


@pytest.mark.parametrize(
    "term",
    [
        "all",
        "-all",
        "~ALL",
        "include:_spf.google.com",
        "INCLUDE:_spf.example.test.",
        "a",
        "a/24",
        "a//64",
        "a/24//64",
        "a:mail.example.test",
        "a:mail.example.test/28",
        "mx",
        "mx:example.test//0",
        "ptr",
        "ptr:example.test",
        "ip4:192.0.2.1",
        "ip4:192.0.2.0/24",
        "ip4:0.0.0.0/0",
        "ip6:2001:db8::/32",
        "ip6:::ffff:192.0.2.1",
        "ip6:2001:DB8::1",
        "exists:%{i}._i.%{d}._d.espf.example",
        "include:%{ir}.%{v}.%{d}.spf.has.pphosted.com",
        "exists:%{i}._ip.%{h}._ehlo.%{d}._spf.vali.email",
        "exists:%{S}.example.test",
        "redirect=_spf.google.com",
        "REDIRECT=_spf.example.test",
        "exp=explain._spf.%{d}",
        "x-custom=anything%{c}",
        "v=spf1",
        "ra=postmaster",
        "foo=",
    ],
)
def test_valid_terms_parse(term: str) -> None:
    """Real records (gmail's redirect, hosted macros) must not be flagged (checkdmarc #143)."""
    assert parse_term(term).error is None


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("include:", "needs a domain"),
        ("include", "needs ':'"),
        ("exists", "needs ':'"),
        ("exists:", "needs a domain"),
        ("ptr:", "needs a domain"),
        ("a:", "needs a domain"),
        ("a:192.0.2.1", "not a domain"),
        ("include:localhost", "not a domain"),
        ("mx:example.test/33", "0..32"),
        ("a/024", "0..32"),
        ("a//129", "0..128"),
        ("a:example.test/", "not a domain"),
        ("all:example.test", "takes no argument"),
        ("all/24", "takes no argument"),
        ("ip4", "needs ':'"),
        ("ip4:", "needs ':'"),
        ("ip4:192.0.2.300", "not an IPv4"),
        ("ip4:192.0.2", "not an IPv4"),
        ("ip4:192.0.2.01", "not an IPv4"),
        ("ip4:192.0.2.0/33", "0..32"),
        ("ip4:192.0.2.0/", "0..32"),
        ("ip4:2001:db8::1", "not an IPv4"),
        ("ip6:192.0.2.1", "not an IPv6"),
        ("ip6:2001:db8::/129", "0..128"),
        ("ip6:fe80::1%eth0", "not an IPv6"),
        ("ipv4:192.0.2.1", "unknown mechanism"),
        ("spf2.0/pra", "unknown mechanism"),
        ("+redirect=example.test", "cannot take a qualifier"),
        ("redirect=", "needs a domain"),
        ("redirect=example", "not a domain"),
        ("exp=%{c}.example.test", "only in exp"),
        ("exists:%{x}.example.test", "not a macro letter"),
        ("include:%{d", "not closed"),
        ("!all", "neither a mechanism nor a modifier"),
        ("x-bad=%", "is not a macro"),
        ("include:exa\u00e7mple.test", "not allowed"),
    ],
)
def test_invalid_terms_are_errors_naming_the_problem(term: str, message: str) -> None:
    """Receivers permerror on each of these, so each must be a named syntax error (#213)."""
    error = parse_term(term).error
    assert error is not None
    assert message in error


def test_qualifiers_and_names_are_normalised() -> None:
    """Drift compares normalised terms: 'INCLUDE' and 'include' are the same mechanism."""
    term = parse_term("~INCLUDE:_spf.example.test")
    assert (term.name, term.qualifier, term.domain_spec) == ("include", "~", "_spf.example.test")
    assert parse_term("mx").qualifier == "+"


def test_networks_are_normalised_with_host_bits_cleared() -> None:
    """ip4:192.0.2.1/24 authorises 192.0.2.0/24 (§5.6); observations show the network."""
    assert parse_term("ip4:192.0.2.77/24").network == ipaddress.ip_network("192.0.2.0/24")
    assert parse_term("ip4:192.0.2.77").network == ipaddress.ip_network("192.0.2.77/32")
    assert parse_term("ip6:2001:DB8::1/32").network == ipaddress.ip_network("2001:db8::/32")


def test_dual_cidr_is_split_from_the_domain() -> None:
    """a:host/24//64 names a host and two prefix lengths, not a host called 'host/24//64'."""
    term = parse_term("a:mail.example.test/24//64")
    assert (term.domain_spec, term.cidr4, term.cidr6) == ("mail.example.test", 24, 64)
    assert (parse_term("mx//48").cidr4, parse_term("mx//48").cidr6) == (None, 48)


def test_duplicate_redirect_and_exp_are_errors_on_the_second_occurrence() -> None:
    """§6: redirect and exp at most once; the first stays usable for display."""
    record = parse_record(
        "v=spf1 redirect=a.example.test exp=x.example.test "
        "redirect=b.example.test exp=y.example.test"
    )
    errors = [t.text for t in record.errors]
    assert errors == ["redirect=b.example.test", "exp=y.example.test"]
    assert record.modifier("redirect") is not None
    assert record.modifier("redirect").domain_spec == "a.example.test"  # type: ignore[union-attr]


def test_redirect_is_ignored_when_all_is_present_anywhere() -> None:
    """§5.1: with 'all' in the record, redirect never applies, even if it comes first."""
    record = parse_record("v=spf1 redirect=_spf.example.test ip4:192.0.2.0/24 ~all")
    assert record.effective_redirect is None
    assert parse_record("v=spf1 redirect=_spf.example.test").effective_redirect is not None


def test_mechanisms_after_all_are_not_evaluated_but_modifiers_stay() -> None:
    """§5.1: mechanisms after 'all' never run; a modifier after it (exp) still counts."""
    record = parse_record("v=spf1 mx -all include:late.example.test exp=why.example.test")
    assert [t.text for t in record.evaluated_mechanisms()] == ["mx", "-all"]
    assert record.modifier("exp") is not None


def test_costs_lookup_covers_exactly_the_section_4_6_4_terms() -> None:
    """include, a, mx, ptr, exists and redirect count; all, ip4, ip6, exp and unknown do not."""
    record = parse_record(
        "v=spf1 include:i.example.test a mx ptr exists:e.example.test ip4:192.0.2.1 "
        "ip6:2001:db8::1 exp=x.example.test x-foo=bar redirect=r.example.test"
    )
    costs = {t.text.split(":")[0].split("=")[0]: t.costs_lookup for t in record.terms}
    assert costs == {
        "include": True,
        "a": True,
        "mx": True,
        "ptr": True,
        "exists": True,
        "ip4": False,
        "ip6": False,
        "exp": False,
        "x-foo": False,
        "redirect": True,
    }


def test_empty_terms_between_spaces_are_skipped() -> None:
    """Several spaces between terms are allowed (1*SP) and add no empty terms."""
    record = parse_record("v=spf1   mx    -all   ")
    assert [t.text for t in record.terms] == ["mx", "-all"]
    assert parse_record("v=spf1").terms == ()


def test_macro_detection_flags_p_macro_for_the_ptr_warning() -> None:
    """%{p} makes receivers do PTR lookups, deprecated like the ptr mechanism (§5.5)."""
    assert parse_term("exists:%{p}.example.test").uses_p_macro
    assert parse_term("exists:%{i}.example.test").has_macro
    assert not parse_term("include:_spf.example.test").has_macro
