"""Provider result tokens: an explicit table, and nothing unknown ever becomes a pass."""

from __future__ import annotations

import pytest

from checks.canary.authresults.provider_results import (
    INDETERMINATE,
    PROVIDER_TOKENS,
    RFC_RESULTS,
    normalise,
)


@pytest.mark.parametrize(
    ("method", "token", "expected"),
    [
        ("dkim", "perm_fail", "permerror"),
        ("spf", "hardfail", "fail"),
        ("dkim", "softfail", "fail"),
        ("dmarc", "bestguesspass", "none"),
        ("DKIM", "PASS", "pass"),
        ("spf", "softfail", "softfail"),
    ],
)
def test_known_provider_tokens_map_to_rfc_results(method: str, token: str, expected: str) -> None:
    """Yahoo, Microsoft and older filters write tokens outside the registry."""
    assert normalise(method, token).result == expected


@pytest.mark.parametrize(
    ("method", "token"),
    [("dkim", "unknown"), ("dmarc", "unknown"), ("spf", "passed"), ("dkim", "ok"), ("dmarc", "x")],
)
def test_unknown_tokens_of_known_methods_are_indeterminate(method: str, token: str) -> None:
    """An unknown token is not a pass and not a fail: it proves nothing either way."""
    result = normalise(method, token)
    assert result.result == INDETERMINATE
    assert result.indeterminate
    assert result.raw == token


def test_unknown_methods_keep_their_token_and_say_so() -> None:
    """compauth and x-* are carried through as written, marked as not evaluated."""
    result = normalise("compauth", "pass")
    assert (result.result, result.known_method) == ("pass", False)


def test_no_mapping_produces_pass_and_every_mapping_is_a_registered_result() -> None:
    """The table may only map onto results valid for the method, and never onto pass."""
    for (method, _token), mapped in PROVIDER_TOKENS.items():
        assert mapped != "pass"
        assert mapped in RFC_RESULTS[method]
