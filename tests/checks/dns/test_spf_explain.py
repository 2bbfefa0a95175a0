"""explain_ip: check_host() for one concrete relay IP, against real zones served by Knot."""

from __future__ import annotations

import ipaddress

import pytest

from checks.dns._spf_eval import Evaluator
from checks.dns.resolver import Resolver
from checks.dns.spf import explain_ip
from tests.support.bad_dns import ServfailDns

B = "spf-basic.test"
L = "spf-limits.test"

# (domain, ip, result, the decisive term (or None))
CASES = [
    (f"healthy.{B}", "192.0.2.9", "pass", "ip4:192.0.2.0/24"),
    (f"healthy.{B}", "2001:db8:10::5", "pass", "ip6:2001:db8:10::/48"),
    (f"healthy.{B}", "198.51.100.130", "pass", "include:_spf.esp-mailer.test"),
    (f"healthy.{B}", "2001:db8:aa::1", "pass", "include:_spf.esp-mailer.test"),
    (f"healthy.{B}", "203.0.113.5", "fail", "-all"),
    (f"healthy.{B}", "::ffff:192.0.2.9", "pass", "ip4:192.0.2.0/24"),
    (f"softfail.{B}", "203.0.113.5", "softfail", "~all"),
    (f"neutral.{B}", "203.0.113.5", "neutral", "?all"),
    (f"plusall.{B}", "203.0.113.5", "pass", "+all"),
    (f"noall.{B}", "203.0.113.5", "neutral", None),
    (f"redirect.{B}", "198.51.100.1", "pass", "include:_nb1.esp-mailer.test"),
    (f"redirect.{B}", "203.0.113.5", "softfail", "~all"),
    (f"redirect-all.{B}", "198.51.100.1", "fail", "-all"),
    (f"redirect-none.{B}", "192.0.2.1", "permerror", None),
    (f"macro.{B}", "192.0.2.10", "pass", "exists:%{i}._i.%{d}._d.esp-agari.test"),
    (f"macro.{B}", "198.51.100.20", "pass", "include:%{ir}.%{v}.%{d}.spf.esp-agari.test"),
    # Neither macro name exists for this IP: two voids, then an include with no record.
    (f"macro.{B}", "192.0.2.99", "permerror", None),
    (f"a-host.{B}", "192.0.2.77", "pass", "a:relay.spf-basic.test"),
    (f"a-host.{B}", "2001:db8:10::77", "pass", "a:relay.spf-basic.test"),
    (f"a-host.{B}", "192.0.2.78", "fail", "-all"),
    (f"v6only.{B}", "2001:db8:10::66", "pass", "a:relay6.spf-basic.test"),
    (f"v6only.{B}", "192.0.2.5", "fail", "-all"),
    (f"mxcount.{L}", "198.51.100.7", "pass", "a:h7.spf-limits.test"),
    (f"mx10.{L}", "192.0.2.110", "pass", "mx"),
    (f"mx10.{L}", "192.0.2.111", "fail", "-all"),
    (f"mx11.{L}", "192.0.2.101", "permerror", None),
    (f"over.{L}", "198.51.100.5", "pass", "include:_spf.esp-mailer.test"),
    (f"over.{L}", "203.0.113.5", "permerror", None),
    (f"ten.{L}", "203.0.113.5", "fail", "-all"),
    (f"voids.{L}", "192.0.2.1", "permerror", None),
    (f"voids-ok.{L}", "192.0.2.1", "pass", "ip4:192.0.2.0/24"),
    (f"void-redirect.{L}", "192.0.2.1", "permerror", None),
    (f"two.{B}", "192.0.2.1", "permerror", None),
    (f"syntax.{B}", "192.0.2.1", "permerror", None),
    (f"missing.{B}", "192.0.2.1", "none", None),
    (f"nearmiss.{B}", "192.0.2.1", "none", None),
    (f"inc-none.{B}", "192.0.2.1", "permerror", None),
    (f"loop-a.{B}", "192.0.2.1", "permerror", None),
    (f"diamond.{B}", "192.0.2.70", "pass", "include:d1.spf-basic.test"),
    (f"openinclude.{B}", "203.0.113.5", "pass", "include:open.spf-basic.test"),
    (f"union.{B}", "198.51.100.1", "fail", "-include:union-c.spf-basic.test"),
    ("bücher.spf-idn.test", "198.51.100.1", "pass", "include:_spf.xn--bcher-kva.spf-idn.test"),
    (f"lame.{B}", "192.0.2.1", "pass", "ip4:192.0.2.0/24"),
    (f"lame.{B}", "198.51.100.1", "temperror", None),
]


@pytest.mark.parametrize(("domain", "ip", "result", "term"), CASES)
def test_explain_ip_case_table(
    resolver: Resolver, domain: str, ip: str, result: str, term: str | None
) -> None:
    """check_host() gives the result a receiver would, and names the mechanism that decided."""
    explained = explain_ip(domain, ip, resolver)
    assert explained["result"] == result, explained
    if term is None:
        assert explained["matched"] is None
    else:
        assert explained["matched"].startswith(f"{term} in the SPF record of "), explained
    assert explained["explanation"]


def test_fail_explanation_lists_what_would_have_to_match(resolver: Resolver) -> None:
    """The canary issue must tell the operator which mechanism the relay should have hit."""
    explained = explain_ip(f"healthy.{B}", "203.0.113.5", resolver)
    text = explained["explanation"]
    assert "203.0.113.5" in text
    assert "'-all'" in text
    for needed in ("ip4:192.0.2.0/24", "ip6:2001:db8:10::/48", "include:_spf.esp-mailer.test"):
        assert needed in text


def test_pass_through_include_names_the_inner_mechanism(resolver: Resolver) -> None:
    """'include matched' alone does not say which ESP netblock the relay is in."""
    explained = explain_ip(f"healthy.{B}", "198.51.100.130", resolver)
    assert "ip4:198.51.100.128/27 in _nb3.esp-mailer.test" in explained["matched"]
    assert "ip4:198.51.100.128/27" in explained["explanation"]


def test_fail_quotes_the_domain_exp_text_with_macros_expanded(resolver: Resolver) -> None:
    """exp= is the publisher's own words for a fail (§6.2), with %{i} %{d} %{s} expanded."""
    explained = explain_ip(
        f"a-host.{B}", "192.0.2.78", resolver, sender="alice@a-host.spf-basic.test"
    )
    assert (
        "192.0.2.78 may not send mail for a-host.spf-basic.test "
        "(sender alice@a-host.spf-basic.test)" in explained["explanation"]
    )


def test_lookup_limit_permerror_names_the_term_and_keeps_counts(resolver: Resolver) -> None:
    """Counts must be reported even when the result is permerror (checkdmarc #18)."""
    explained = explain_ip(f"over.{L}", "203.0.113.5", resolver)
    assert explained["lookups"] == 11
    assert "include:_l1.esp-chain.test" in explained["explanation"]


def test_exactly_ten_lookups_is_within_the_limit(resolver: Resolver) -> None:
    """The limit is 'more than 10' (§4.6.4): the tenth lookup is still allowed."""
    explained = explain_ip(f"ten.{L}", "203.0.113.5", resolver)
    assert (explained["result"], explained["lookups"]) == ("fail", 10)


def test_void_limit_counts_through_redirect(resolver: Resolver) -> None:
    """Voids in a redirect target join the same void counter (checkdmarc #211)."""
    explained = explain_ip(f"void-redirect.{L}", "192.0.2.1", resolver)
    assert (explained["lookups"], explained["void_lookups"]) == (4, 3)
    assert "void" in explained["explanation"]


def test_ipv4_only_a_target_is_void_for_an_ipv6_client(resolver: Resolver) -> None:
    """mailauth #104 / pyspf #40: an IPv6 relay turns A-only targets into void lookups."""
    explained = explain_ip(f"voids-ok.{L}", "2001:db8::1", resolver)
    assert explained["void_lookups"] == 2
    assert explained["result"] == "fail"
    explained = explain_ip(f"mxcount.{L}", "2001:db8::1", resolver)
    # mx (4 hosts, no AAAA) is not void itself; a:h1 and a:h2 are, a:h3 is one too many.
    assert explained["result"] == "permerror"
    assert explained["void_lookups"] == 3


def test_mx_host_lookups_do_not_count_toward_the_global_ten(resolver: Resolver) -> None:
    """Each mx costs one lookup however many hosts it has (§4.6.4; checkdmarc #197)."""
    explained = explain_ip(f"mx10.{L}", "192.0.2.110", resolver)
    assert explained["lookups"] == 1


def test_macros_expand_sender_helo_and_ip(resolver: Resolver) -> None:
    """%{i}/%{d} pick the record for this relay; a different IP gets a different answer."""
    assert explain_ip(f"macro.{B}", "192.0.2.10", resolver)["lookups"] == 1
    other = explain_ip(f"macro.{B}", "198.51.100.20", resolver)
    assert other["lookups"] == 2
    assert other["void_lookups"] == 1  # the exists name for this IP does not exist


def test_u_label_domain_is_shown_as_u_label(resolver: Resolver) -> None:
    """Operators read bücher, not xn--bcher-kva."""
    explained = explain_ip("bücher.spf-idn.test", "192.0.2.1", resolver)
    assert explained["domain"] == "bücher.spf-idn.test"
    assert "bücher.spf-idn.test" in explained["explanation"]


def test_servfail_is_temperror_not_fail() -> None:
    """A resolver failure is a temporary error (§4.4), never a verdict on the relay."""
    with ServfailDns() as bad:
        resolver = Resolver([bad.address], timeout=0.3, retries=0)
        explained = explain_ip(f"healthy.{B}", "192.0.2.1", resolver)
    assert explained["result"] == "temperror"
    assert "servfail" in explained["explanation"]


def test_ptr_dns_error_makes_ptr_not_match_and_evaluation_continue(resolver: Resolver) -> None:
    """§5.5: a failed PTR lookup means no match, not temperror (the test server refuses
    in-addr.arpa, like a lame reverse zone)."""
    explained = explain_ip(f"ptr.{B}", "192.0.2.1", resolver)
    assert explained["result"] == "pass"
    assert explained["matched"].startswith("ip4:192.0.2.0/24")


def test_macro_expanding_to_an_invalid_name_matches_nothing(resolver: Resolver) -> None:
    """A sender 'a..b@' gives %{l} an empty label: no query, no crash, no match (§4.8)."""
    explained = explain_ip(f"badexpand.{B}", "192.0.2.1", resolver, sender="a..b@example.test")
    assert explained["result"] == "pass"
    assert explained["matched"].startswith("ip4:192.0.2.0/24")


def test_invalid_ip_is_a_clear_error() -> None:
    """Callers pass relay IPs parsed from headers; junk must fail loudly, not evaluate."""
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        explain_ip(f"healthy.{B}", "not-an-ip", Resolver(["127.0.0.1:9"]))


@pytest.mark.parametrize(
    ("ip", "sender", "helo", "expected"),
    [
        (
            "192.0.2.3",
            "strong-bad@email.example.com",
            "mx.example.org",
            {
                "s": "strong-bad@email.example.com",
                "l": "strong-bad",
                "o": "email.example.com",
                "i": "192.0.2.3",
                "v": "in-addr",
                "h": "mx.example.org",
                "c": "192.0.2.3",
            },
        ),
        (
            "2001:db8::cb01",
            "",
            "mx.example.org",
            {
                "s": "postmaster@mx.example.org",
                "l": "postmaster",
                "o": "mx.example.org",
                "i": "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1",
                "v": "ip6",
                "c": "2001:db8::cb01",
            },
        ),
        (
            "::ffff:192.0.2.3",
            "example.test",
            "mx.example.org",
            {
                "s": "postmaster@example.test",
                "l": "postmaster",
                "o": "example.test",
                "i": "192.0.2.3",
                "v": "in-addr",
            },
        ),
    ],
)
def test_macro_values_follow_section_7_2(
    ip: str, sender: str, helo: str, expected: dict[str, str]
) -> None:
    """%{i} of IPv6 is dotted nibbles (RFC 7208 §7.4's example); a null path uses the HELO."""
    evaluator = Evaluator(ipaddress.ip_address(ip), sender, helo, resolver=None)
    values = evaluator.macro_values("example.test")
    assert {k: values[k] for k in expected} == expected
    assert values["d"] == "example.test"
    assert values["p"] == "unknown"  # never looked up unless a macro asks for %{p}
