"""The RFC 8601 parser: grammar, CFWS everywhere, provider widenings, and clean failure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.canary.authresults import (
    parse_arc_authentication_results,
    parse_authentication_results,
)
from checks.canary.authresults.model import Property


def test_gmail_header_yields_every_result_property_and_comment() -> None:
    """Gmail's form is the most common one our canaries will read."""
    parsed = parse_authentication_results(
        "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=AbCdEfGh;"
        "\r\n       spf=pass (google.com: domain of bounce@example.com designates 192.0.2.10 "
        "as permitted sender) smtp.mailfrom=bounce@example.com;\r\n"
        "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"
    )
    assert parsed.ok
    assert parsed.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    dkim, spf, dmarc = parsed.results
    assert dkim.properties == (
        Property("header", "i", "@example.com"),
        Property("header", "s", "s1"),
        Property("header", "b", "AbCdEfGh"),
    )
    assert spf.prop("smtp.mailfrom") == "bounce@example.com"
    assert spf.comments[0].startswith("google.com: domain of")
    assert dmarc.comments == ("p=REJECT sp=REJECT dis=NONE",)


def test_microsoft_header_without_authserv_id_parses_with_none_id() -> None:
    """Microsoft 365 omits the authserv-id; OpenARC and authres reject such headers."""
    parsed = parse_authentication_results(
        "spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=example.com; dkim=pass "
        "(signature was verified) header.d=example.com;dmarc=pass action=none "
        "header.from=example.com;compauth=pass reason=100"
    )
    assert parsed.ok, parsed.problems
    assert parsed.authserv_id is None
    assert [r.method for r in parsed.results] == ["spf", "dkim", "dmarc", "compauth"]
    assert parsed.results[2].prop("action") == "none"
    assert parsed.results[3].reason == "100"


def test_version_token_after_authserv_id_is_read_not_mistaken_for_a_result() -> None:
    """`mx.microsoft.com 1;` carries a version (OpenARC #163)."""
    parsed = parse_arc_authentication_results(
        "i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=example.com; arc=none"
    )
    assert parsed.ok
    assert (parsed.instance, parsed.authserv_id, parsed.version) == (1, "mx.microsoft.com", "1")
    assert [r.method for r in parsed.results] == ["spf", "arc"]


def test_semicolon_inside_a_comment_does_not_split_results() -> None:
    """OpenDKIM writes `(1024-bit key; unprotected)` (go-msgauth #75, OpenDKIM #186)."""
    parsed = parse_authentication_results(
        "mail.example.net; dkim=pass (1024-bit key; unprotected key) header.d=example.com "
        "header.b=AbCd+/12; dkim-atps=neutral"
    )
    assert parsed.ok
    assert [r.method for r in parsed.results] == ["dkim", "dkim-atps"]
    assert parsed.results[0].comments == ("1024-bit key; unprotected key",)
    assert parsed.results[0].prop("header.b") == "AbCd+/12"


def test_comment_glued_to_result_is_read_as_a_comment() -> None:
    """Yahoo writes `dmarc=pass(p=REJECT)` and `dkim=pass (ok)`."""
    parsed = parse_authentication_results(
        "atlas.example.com; dkim=pass(ok) header.i=@example.com; "
        "dmarc=pass(p=REJECT) header.from=example.com;"
    )
    assert parsed.ok
    assert [(r.result, r.comments) for r in parsed.results] == [
        ("pass", ("ok",)),
        ("pass", ("p=REJECT",)),
    ]


def test_comment_between_authserv_id_and_semicolon_is_kept_at_header_level() -> None:
    """Amavis writes `mail.example.org (amavisd-new);`."""
    parsed = parse_authentication_results(
        "mail.example.org (amavisd-new); dkim=pass (2048-bit key) header.d=example.com"
    )
    assert parsed.authserv_id == "mail.example.org"
    assert parsed.comments == ("amavisd-new",)
    assert parsed.results[0].comments == ("2048-bit key",)


def test_quoted_reason_with_colon_is_one_value() -> None:
    """`reason="Original-From: transformed"` broke dkim_verifier (#466)."""
    parsed = parse_authentication_results(
        'mx.example.net; dkim=pass reason="Original-From: transformed" header.d=example.com'
    )
    assert parsed.ok
    assert parsed.results[0].reason == "Original-From: transformed"
    assert parsed.results[0].prop("header.d") == "example.com"


def test_cfws_between_every_token_is_allowed() -> None:
    """RFC 5322 CFWS may stand between any two tokens of the grammar."""
    parsed = parse_authentication_results(
        "(c0) mx.example.net (c1) ; (c2) SPF (c3) = (c4) PASS (c5) smtp (c6) . (c7) "
        "mailfrom (c8) = (c9) bounce@example.com (c10)"
    )
    assert parsed.ok
    result = parsed.results[0]
    assert (result.method, result.result) == ("spf", "pass")
    assert result.prop("smtp.mailfrom") == "bounce@example.com"
    assert result.comments == tuple(f"c{i}" for i in range(2, 11))
    assert parsed.comments == ("c0", "c1")


def test_nested_comments_and_quoted_pairs_are_one_comment() -> None:
    """Nested parentheses and `\\)` must not end a comment early."""
    parsed = parse_authentication_results(
        r"mx.example.net; dkim=pass (a (b; (c)) \) d) header.d=example.com"
    )
    assert parsed.ok
    assert parsed.results[0].comments == (r"a (b; (c)) \) d",)
    assert parsed.results[0].prop("header.d") == "example.com"


def test_none_means_no_method_was_applied() -> None:
    """RFC 8601 §2.2 `no-result`."""
    parsed = parse_authentication_results("example.org 1; none")
    assert parsed.ok
    assert parsed.none
    assert parsed.results == ()


def test_method_version_is_kept() -> None:
    """`dkim/1=pass` carries a method version (RFC 8601 §2.2)."""
    parsed = parse_authentication_results("mail.example.com; dkim/1=pass header.d=example.com")
    assert parsed.ok
    assert (parsed.results[0].method, parsed.results[0].method_version) == ("dkim", "1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mx.example.net; spf=pass smtp.mailfrom=<>", "<>"),
        ("mx.example.net; iprev=pass smtp.remote-ip=2001:db8::25", "2001:db8::25"),
        ('mx.example.net; dkim=pass header.b="AbCd+/12=="', "AbCd+/12=="),
        ("mx.example.net; x-tls=pass smtp.bits=256/256", "256/256"),
    ],
)
def test_property_values_may_hold_addresses_and_base64(value: str, expected: str) -> None:
    """pvalue allows `@`, `/`, `+`, `=` and `:` (addresses, base64, IPv6)."""
    parsed = parse_authentication_results(value)
    assert parsed.ok
    assert parsed.results[0].properties[0].value == expected


def test_unknown_methods_and_bare_extensions_are_carried_through() -> None:
    """compauth, dara and x-* methods must survive parsing: reported, never deciding."""
    parsed = parse_authentication_results(
        "mx.example.net; dara=pass; x-vs=clean score=-100 state=0; x-custom=odd policy.thing=1"
    )
    assert parsed.ok
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dara", "pass"),
        ("x-vs", "clean"),
        ("x-custom", "odd"),
    ]
    assert parsed.results[1].prop("score") == "-100"


def test_doubled_and_trailing_semicolons_are_tolerated() -> None:
    """Yahoo ends its header with `;`; empty results carry no meaning."""
    parsed = parse_authentication_results("mx.example.net;;dkim=pass header.d=example.com;;")
    assert parsed.ok
    assert len(parsed.results) == 1


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("mx.example.net; dkim=pass (open header.d=example.com", "unterminated comment"),
        ('mx.example.net; dkim=pass reason="open header.d=x', "unterminated quoted string"),
        ("mx.example.net dkim=pass header.d=example.com", "expected ';'"),
        ("mx.example.net; =pass", "expected method"),
        ("mx.example.net; dkim=", "expected a result"),
        ("mx.example.net; dkim=pass header.d", "expected '='"),
        ("mx.example.net; dkim/x=pass", "version number"),
        ("mx.example.net;", "no results"),
        ("", "empty header"),
        ("; dkim=pass", "expected authserv-id"),
    ],
)
def test_malformed_headers_report_a_problem_and_no_partial_result(value: str, problem: str) -> None:
    """A broken result is dropped with a readable problem, never guessed at."""
    parsed = parse_authentication_results(value)
    assert parsed.results == ()
    assert any(problem in p for p in parsed.problems), parsed.problems


def test_missing_semicolon_before_next_method_drops_the_result() -> None:
    """`dkim=pass header.d=x spf=pass` must not read as dkim with a property `spf`."""
    parsed = parse_authentication_results(
        "mx.example.net; dkim=pass header.d=example.com spf=pass; dmarc=fail"
    )
    assert [r.method for r in parsed.results] == ["dmarc"]
    assert any("expected ';' before the next result 'spf='" in p for p in parsed.problems)


def test_parser_resynchronises_after_a_broken_result() -> None:
    """Results after the broken one are still read."""
    parsed = parse_authentication_results(
        "mx.example.net; dkim pass header.d=example.com; spf=fail smtp.mailfrom=example.com"
    )
    assert [(r.method, r.result) for r in parsed.results] == [("spf", "fail")]
    assert len(parsed.problems) == 1


def test_bytes_that_are_not_utf8_are_replaced_and_reported() -> None:
    """A header with Latin-1 bytes still parses; the damage is visible."""
    parsed = parse_authentication_results(
        b"mx.example.net; dkim=pass (caf\xe9) header.d=example.com"
    )
    assert parsed.results[0].prop("header.d") == "example.com"
    assert any("not UTF-8" in p for p in parsed.problems)


def test_nul_is_reported_and_ends_the_token_it_sits_in() -> None:
    """NUL is never part of a value (RFC 5322 forbids it)."""
    parsed = parse_authentication_results("mx.example.net; dkim=pass header.d=exa\x00mple.com")
    assert parsed.results == ()
    assert "contains NUL characters" in parsed.problems


def test_arc_authentication_results_without_instance_is_reported() -> None:
    """AAR must start with `i=N;` (RFC 8617 §4.1.1)."""
    parsed = parse_arc_authentication_results("mx.example.net; spf=pass")
    assert parsed.instance is None
    assert any("instance" in p for p in parsed.problems)
    assert parsed.results[0].method == "spf"


_KEYWORD = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}", fullmatch=True)
_PVALUE = st.from_regex(r"[A-Za-z0-9@.+/=:<>_-]{1,12}", fullmatch=True)
_RESINFO = st.tuples(_KEYWORD, _KEYWORD, st.lists(st.tuples(_KEYWORD, _KEYWORD, _PVALUE)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_RESINFO, min_size=1, max_size=5))
def test_compact_and_spaced_forms_parse_to_the_same_results(
    resinfos: list[tuple[str, str, list[tuple[str, str, str]]]],
) -> None:
    """The one-match fast path for `m=r p.n=v` agrees with the general CFWS-aware readers."""
    compact = "; ".join(
        " ".join([f"{m}={r}", *(f"{t}.{n}={v}" for t, n, v in props)]) for m, r, props in resinfos
    )
    spaced = " ; ".join(
        " ".join([f"{m} = (c) {r}", *(f'{t} . {n} = "{v}" (x)' for t, n, v in props)])
        for m, r, props in resinfos
    )
    fast = parse_authentication_results(f"mx.example.net; {compact}")
    slow = parse_authentication_results(f"mx.example.net ; {spaced}")
    assert fast.ok, fast.problems
    assert slow.ok, slow.problems
    assert [(r.method, r.result, r.properties) for r in fast.results] == [
        (r.method, r.result, r.properties) for r in slow.results
    ]


def test_oversized_header_keeps_its_authserv_id_read_from_its_opening() -> None:
    """Whose header is too long decides between an error and noise; the id is read first."""
    parsed = parse_authentication_results("mx.example.net; " + "dkim=fail; " * 7000)
    assert parsed.authserv_id == "mx.example.net"
    assert not parsed.id_unread
    assert parsed.results == ()
    assert parsed.unreadable is not None
    assert "over 65536; not read" in parsed.unreadable


def test_oversized_header_opening_with_a_long_comment_has_an_unknown_id() -> None:
    """An id that cannot be found in the opening is unknown, never guessed."""
    parsed = parse_authentication_results("(" + "x" * 70_000 + ") mx.example.net; spf=pass")
    assert parsed.authserv_id is None
    assert parsed.id_unread


def test_dropped_result_marks_the_header_unreadable_but_nul_does_not() -> None:
    """Only problems that lost part of the header make it unreadable."""
    dropped = parse_authentication_results("mx.example.net; dkim=pass header.d; spf=pass")
    assert dropped.unreadable == "expected '=' after property 'header.d' at offset 34"
    assert [r.method for r in dropped.results] == ["spf"]
    nul = parse_authentication_results("mx.example.net; spf=pass (a\x00b)")
    assert nul.problems == ("contains NUL characters",)
    assert nul.unreadable is None


def test_unreadable_authserv_id_is_marked_as_such() -> None:
    """A header without a readable id is not an id-less (Microsoft) header."""
    parsed = parse_authentication_results("; dkim=pass header.d=example.com")
    assert parsed.authserv_id is None
    assert parsed.id_unread
    assert parsed.unreadable == "expected authserv-id, found ';' at offset 0"
