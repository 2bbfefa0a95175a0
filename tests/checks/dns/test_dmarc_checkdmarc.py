"""The checkdmarc adapter: its cache is off, its verdicts are mapped, its gaps are measured.

The last test imports checkdmarc directly, on purpose: it measures where checkdmarc's own
DMARC parser disagrees with ours, which is why DMARC parsing is ours (docs/dns-checks.md).
"""

from __future__ import annotations

import checkdmarc.dmarc
import checkdmarc.utils
import pytest

from checks.dns import _checkdmarc
from checks.dns._checkdmarc import RecordRejected
from checks.dns._dmarc_record import DmarcSyntaxError, parse_dmarc_record


def test_checkdmarc_is_the_pinned_minor_version() -> None:
    """6.0 changed verdicts once; an upgrade must be a deliberate, reviewed change."""
    assert _checkdmarc.CHECKDMARC_VERSION.startswith("6.0.")
    assert _checkdmarc.versions() == {"checkdmarc": _checkdmarc.CHECKDMARC_VERSION}


def test_checkdmarc_dns_cache_never_stores_an_answer() -> None:
    """Its 30-minute module cache would hide a changed record between two runs."""
    cache = checkdmarc.utils.DNS_CACHE
    cache["_dmarc.example.test_TXT_False"] = ["v=DMARC1; p=reject"]
    assert cache.get("_dmarc.example.test_TXT_False") is None
    assert "_dmarc.example.test_TXT_False" not in cache


def test_disabling_the_cache_twice_keeps_the_same_never_cache() -> None:
    """Re-importing or re-calling must not swap in a fresh real cache."""
    before = checkdmarc.utils.DNS_CACHE
    _checkdmarc.disable_dns_cache()
    assert checkdmarc.utils.DNS_CACHE is before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=DMARC1; p=reject", True),
        ("v=DMARC1;", True),
        ("v=DMARC1", True),
        ("V = DMARC1 ; p=none", True),
        ("v=dmarc1; p=reject", False),
        ("v=spf1 -all", False),
        ("p=reject; v=DMARC1", False),
    ],
)
def test_dmarc_record_selection_follows_the_version_rule(text: str, expected: bool) -> None:
    """Only records starting with the v=DMARC1 tag count (RFC 9989 §4.8)."""
    assert _checkdmarc.is_dmarc_record(text) is expected


def test_invalid_report_uri_is_rejected_with_tag_and_value() -> None:
    """A bare address without mailto: is an error about rua, not an English sentence code."""
    with pytest.raises(RecordRejected) as caught:
        _checkdmarc.parse_report_uri("rua", " dmarc@example.test ")
    assert (caught.value.tag, caught.value.value, caught.value.reason) == (
        "rua",
        "dmarc@example.test",
        "invalid_value",
    )
    assert caught.value.library_message


def test_non_mailto_report_uri_keeps_its_host() -> None:
    """RFC 9989 allows any URI scheme; authorisation still needs the destination host."""
    uri = _checkdmarc.parse_report_uri("rua", "https://Reports.Example.test/dmarc")
    assert uri.scheme == "https"
    assert uri.host == "reports.example.test"


def _ours_valid(text: str) -> bool:
    try:
        parse_dmarc_record(text)
    except DmarcSyntaxError:
        return False
    return True


def _checkdmarc_valid(text: str) -> bool:
    try:
        checkdmarc.dmarc.parse_dmarc_record(text, "example.test")
    except checkdmarc.dmarc.DMARCError:
        return False
    return True


# Records without rua/ruf, so checkdmarc's parser makes no DNS query of its own.
AGREE = ["v=DMARC1; p=reject;", "v=DMARC1;p=none", "v=DMARC1; p=rejct", "v=DMARC1; p=r; sp=x"]
DISAGREE = {
    "v=DMARC1; p=reject; pct=abc": (False, True),  # checkdmarc skips pct without checking it
    "v=DMARC1; p=reject; ri=soon": (False, True),  # likewise ri
    "v=DMARC1; p=reject; adkim=x": (False, True),  # checkdmarc substitutes r with a warning
    "v=DMARC1; p=reject;;": (True, False),  # receivers accept an empty tag; checkdmarc does not
}


@pytest.mark.parametrize("text", AGREE)
def test_our_parser_agrees_with_checkdmarc_on_ordinary_records(text: str) -> None:
    """Where checkdmarc is right, we give the same verdict."""
    assert _ours_valid(text) == _checkdmarc_valid(text)


@pytest.mark.parametrize(("text", "verdicts"), DISAGREE.items())
def test_measured_disagreements_with_checkdmarc_stay_as_documented(
    text: str, verdicts: tuple[bool, bool]
) -> None:
    """The documented reasons for parsing DMARC ourselves still hold for the pinned version."""
    assert (_ours_valid(text), _checkdmarc_valid(text)) == verdicts
