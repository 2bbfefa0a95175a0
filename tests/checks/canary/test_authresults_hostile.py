"""Hostile input: no header, Received value or message can make the public API raise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.canary.authresults import (
    parse_arc_authentication_results,
    parse_authentication_results,
    parse_received,
)
from checks.canary.authresults.parse import MAX_HEADER_LENGTH
from checks.canary.inspect import Expectations, TrustPolicy, inspect_message

# Text biased toward the grammar's own characters, so the fuzzer reaches deep states.
_GRAMMAR = st.sampled_from([*list(' \t\r\n();="\\=./@:;'), "dkim", "pass", "header.d", "none"])
_HEADERS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_GRAMMAR, st.text(max_size=5)), max_size=80).map("".join),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HEADERS)
def test_no_text_makes_the_parsers_raise(value: str) -> None:
    """Property: every string yields a result object; problems explain any damage."""
    for parse in (parse_authentication_results, parse_arc_authentication_results):
        parsed = parse(value)
        for result in parsed.results:
            assert result.method
            assert result.result
    hop = parse_received(value)
    assert hop.raw == value


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_no_bytes_make_the_parser_raise(value: bytes) -> None:
    """Property: arbitrary bytes (NULs, invalid UTF-8) parse without an exception."""
    parsed = parse_authentication_results(value)
    assert isinstance(parsed.problems, tuple)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["generic", "microsoft365"]))
def test_no_message_bytes_make_inspect_raise(raw: bytes, receiver: str) -> None:
    """Property: inspect_message turns any bytes into an Inspection, never an exception."""
    policy = TrustPolicy(("mx.example.net",), receiver)  # type: ignore[arg-type]
    inspection = inspect_message(raw, policy, Expectations("example.com"))
    assert inspection.ok is False


_PASSING = st.sampled_from(
    [
        "dkim=pass header.d=example.com header.s=s1 header.b=AbCdEfGh",
        "dkim=pass header.d=example.com header.s=s2",
        "dkim=pass header.i=@example.com",
        "spf=pass smtp.mailfrom=example.com",
        "dmarc=pass header.from=example.com",
        "arc=pass",
    ]
)
_FAILING_RECEIVER = (
    "Authentication-Results: mx.example.net; dkim=fail header.d=example.com header.s=s1 "
    "header.b=AbCdEfGh; spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com\n"
)
_TAIL = (
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; b=AbCdEfGhIjKl\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s2; b=ZyXwVuTs\n"
    "From: canary@example.com\n\nbody\n"
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(_PASSING, _HEADERS), max_size=4), min_size=1, max_size=4))
def test_headers_below_the_receivers_failing_one_never_upgrade_it(
    fragments: list[list[str]],
) -> None:
    """Property: whatever a lower header claims with the trusted id, fail stays fail."""
    lines = "".join(
        "Authentication-Results: mx.example.net; "
        + "; ".join(f.replace("\n", " ").replace("\r", " ") for f in parts)
        + "\n"
        for parts in fragments
    )
    raw = (_FAILING_RECEIVER + lines + _TAIL).encode("utf-8", "surrogatepass")
    inspection = inspect_message(raw, TrustPolicy(("mx.example.net",)), Expectations())
    assert not inspection.ok
    assert inspection.observations["canary.spf"] == "fail"
    assert inspection.observations["canary.dmarc"] == "fail"
    assert inspection.observations["canary.dkim"] == "fail"


def test_deeply_nested_comments_cost_no_recursion() -> None:
    """10,000 nested parentheses are read iteratively (no RecursionError)."""
    deep = "(" * 10000 + "x" + ")" * 10000
    parsed = parse_authentication_results(f"mx.example.net; dkim=pass {deep} header.d=e.test")
    assert parsed.ok
    assert parsed.results[0].prop("header.d") == "e.test"


def test_unterminated_deep_comment_is_one_problem() -> None:
    """An unclosed comment swallows the rest of the header, as RFC 5322 reads it."""
    parsed = parse_authentication_results("mx.example.net; dkim=pass " + "(" * 20000)
    assert parsed.results == ()
    assert parsed.problems == ("unterminated comment at offset 26",)


def test_oversized_header_is_refused_unread() -> None:
    """Truncating could change what a header says; refusing cannot."""
    parsed = parse_authentication_results("mx.example.net; dkim=pass (" + "x" * MAX_HEADER_LENGTH)
    assert parsed.results == ()
    assert "not read" in parsed.problems[0]


def test_many_results_in_one_header_are_all_read() -> None:
    """A large but legal header (600 results) is parsed whole."""
    many = "; ".join(f"dkim=pass header.d=d{i}.example.com header.s=s{i}" for i in range(600))
    parsed = parse_authentication_results(f"mx.example.net; {many}")
    assert parsed.ok
    assert len(parsed.results) == 600
