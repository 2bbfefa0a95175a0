"""Unit tests of the pure DMARC and tag-list parsers (no DNS)."""

from __future__ import annotations

import pytest

from checks.dns._dmarc_record import DmarcSyntaxError, parse_dmarc_record
from checks.dns._taglist import Tag, TagListError, split_tags


def test_tags_split_in_order_with_whitespace_and_trailing_semicolon() -> None:
    """Spacing and a trailing `;` are cosmetic (RFC 6376 §3.2)."""
    assert split_tags(" v = DMARC1 ;P=reject;  rua=mailto:a@x.test ; ") == [
        Tag("v", "DMARC1"),
        Tag("p", "reject"),
        Tag("rua", "mailto:a@x.test"),
    ]


@pytest.mark.parametrize(
    ("text", "tag", "reason"),
    [
        ("v=DMARC1; p=reject; garbage", "garbage", "not_a_tag"),
        ("v=DMARC1; p=reject; p=none", "p", "duplicate_tag"),
        ("v=DMARC1; 9x=1", "9x", "invalid_tag_name"),
    ],
)
def test_tag_list_errors_name_the_tag(text: str, tag: str, reason: str) -> None:
    """A broken tag list says which tag broke it."""
    with pytest.raises(TagListError) as caught:
        split_tags(text)
    assert (caught.value.tag, caught.value.reason) == (tag, reason)


def test_minimal_record_applies_rfc_defaults() -> None:
    """Absent tags take their defaults; sp and np fall back to p."""
    record = parse_dmarc_record("v=DMARC1; p=quarantine")
    assert (record.effective_p, record.effective_sp, record.effective_np) == ("quarantine",) * 3
    assert (record.effective_pct, record.t, record.adkim, record.aspf, record.fo) == (
        100,
        "n",
        "r",
        "r",
        "0",
    )
    assert record.rua == ()


def test_np_falls_back_to_sp_before_p() -> None:
    """RFC 9989 §4.7: np defaults to sp when sp is present."""
    record = parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine")
    assert record.effective_np == "quarantine"


def test_tags_in_any_order_and_values_in_any_case() -> None:
    """RFC 9989 allows any order after v; policy literals are case-insensitive."""
    record = parse_dmarc_record("v=DMARC1; rua=mailto:D@X.test; ADKIM=S; p=Reject; t=Y; psd=n")
    assert (record.p, record.adkim, record.t, record.psd) == ("reject", "s", "y", "n")
    assert record.rua[0].normalised == "mailto:d@x.test"


def test_missing_p_reads_as_none() -> None:
    """RFC 9989 makes p optional with none as its meaning."""
    record = parse_dmarc_record("v=DMARC1; rua=mailto:d@x.test")
    assert record.p is None
    assert record.effective_p == "none"


def test_unknown_and_removed_tags_are_kept_apart() -> None:
    """Unknown tags are ignored but listed; pct/rf/ri are recognised as removed by RFC 9989."""
    record = parse_dmarc_record("v=DMARC1; p=reject; pct=100; rf=afrf; ri=3600; foo=bar")
    assert record.unknown == (Tag("foo", "bar"),)
    assert record.removed_tags == ("pct", "rf", "ri")
    assert (record.pct, record.rf, record.ri) == (100, "afrf", 3600)


def test_report_uris_keep_size_but_normalise_without_it() -> None:
    """`!size` is obsolete; drift must not see it as a different destination."""
    record = parse_dmarc_record("v=DMARC1; p=none; rua=mailto:a@x.test!10m, mailto:b@y.test")
    assert [u.size_limit for u in record.rua] == ["10m", None]
    assert [u.normalised for u in record.rua] == ["mailto:a@x.test", "mailto:b@y.test"]
    assert [u.host for u in record.rua] == ["x.test", "y.test"]


@pytest.mark.parametrize(
    ("text", "tag", "value", "reason"),
    [
        ("v=DMARC1; p=rejekt", "p", "rejekt", "invalid_value"),
        ("v=DMARC1; p=reject; sp=bogus", "sp", "bogus", "invalid_value"),
        ("v=DMARC1; p=reject; np=maybe", "np", "maybe", "invalid_value"),
        ("v=DMARC1; p=reject; pct=abc", "pct", "abc", "invalid_value"),
        ("v=DMARC1; p=reject; pct=101", "pct", "101", "invalid_value"),
        ("v=DMARC1; p=reject; adkim=x", "adkim", "x", "invalid_value"),
        ("v=DMARC1; p=reject; t=maybe", "t", "maybe", "invalid_value"),
        ("v=DMARC1; p=reject; psd=x", "psd", "x", "invalid_value"),
        ("v=DMARC1; p=reject; fo=9", "fo", "9", "invalid_value"),
        ("v=DMARC1; p=reject; fo=0:1", "fo", "0:1", "invalid_value"),
        ("v=DMARC1; p=reject; ri=soon", "ri", "soon", "invalid_value"),
        ("v=DMARC1; p=reject; rua=dmarc@x.test", "rua", "dmarc@x.test", "invalid_value"),
        ("v=DMARC1; p=reject; rua=", "rua", "", "invalid_value"),
        ("v=DMARC1; p=reject; rua=mailto:d@x..test", "rua", "mailto:d@x..test", "invalid_value"),
        ("v=DMARC1; p=reject; p=none", "p", "none", "duplicate_tag"),
        ("v=DMARC1; p=reject; junk", "junk", "", "not_a_tag"),
        ("p=reject; v=DMARC1", "p", "reject", "version_not_first"),
        ("v=DMARC2; p=reject", "v", "DMARC2", "invalid_value"),
    ],
)
def test_syntax_errors_carry_tag_value_and_reason(
    text: str, tag: str, value: str, reason: str
) -> None:
    """Every way a record breaks is reported with the tag and value at fault."""
    with pytest.raises(DmarcSyntaxError) as caught:
        parse_dmarc_record(text)
    assert (caught.value.tag, caught.value.value, caught.value.reason) == (tag, value, reason)
