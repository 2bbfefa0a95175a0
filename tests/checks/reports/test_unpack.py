"""Reading what receivers send: by magic bytes, within one byte budget, never crashing."""

from __future__ import annotations

import pytest

from checks.reports.detect import detect
from checks.reports.model import Rejected
from checks.reports.unpack import Limits, documents
from tests.support import dmarc_samples as s


@pytest.mark.parametrize(
    ("data", "kind", "wrapping"),
    [
        (s.google(), "xml", "xml"),
        (s.gz(s.google()), "xml", "gzip/xml"),
        (s.zipped(s.google(), "google.com!reports-lab.test!1!2.zip"), "xml", "zip/xml"),
        (s.gz(s.tlsrpt()), "json", "gzip/json"),
        (s.zipped(s.gz(s.microsoft()), "x.xml.gz"), "xml", "zip/gzip/xml"),
    ],
)
def test_each_wrapping_receivers_use_yields_the_document(
    data: bytes, kind: str, wrapping: str
) -> None:
    """Plain, gzip, zip (and gzip inside zip, as Seznam) all reach the parser."""
    [doc] = documents(data)
    assert (doc.kind, doc.wrapping) == (kind, wrapping)
    assert doc.data in (s.google(), s.microsoft(), s.tlsrpt())


def test_kind_is_judged_by_bytes_not_by_name() -> None:
    """A gzip called .zip, or XML with a byte-order mark, is still what its bytes say."""
    assert detect(s.gz(b"<x/>")) == "gzip"
    assert detect(b"\xef\xbb\xbf  <?xml version='1.0'?><feedback/>") == "xml"
    assert detect(s.report_mail(s.gz(s.google()), "r.zip", "application/zip")) == "mail"
    [doc] = documents(s.report_mail(s.gz(s.google()), "misnamed.zip", "application/zip"))
    assert doc.wrapping == "mail/gzip/xml"


def test_a_report_nested_in_an_attached_message_is_found() -> None:
    """Google sometimes wraps the report in a message/rfc822 part."""
    [doc] = documents(s.report_mail(s.zipped(s.google()), "r.zip", "application/zip", nested=True))
    assert doc.data == s.google()


def test_a_gzip_bomb_stops_at_the_budget() -> None:
    """64 MB of zeros in a 64 kB gzip: refused once 4 MB came out, not after 64 MB."""
    bomb = s.gzip_bomb(64 * 1024 * 1024)
    with pytest.raises(Rejected) as caught:
        documents(bomb, Limits(max_expanded=4 * 1024 * 1024))
    assert caught.value.code == "reports.expands_too_far"


def test_a_zip_bomb_stops_at_the_budget_whatever_its_directory_claims() -> None:
    """The bytes read are counted, not the sizes the zip declares."""
    with pytest.raises(Rejected) as caught:
        documents(s.zip_bomb(32 * 1024 * 1024), Limits(max_expanded=2 * 1024 * 1024))
    assert caught.value.code == "reports.expands_too_far"


def test_a_truncated_gzip_is_rejected_with_its_reason() -> None:
    """A download cut short must not pass as a shorter report."""
    data = s.gz(s.google())
    with pytest.raises(Rejected) as caught:
        documents(data[: len(data) // 2])
    assert caught.value.code == "reports.truncated_gzip"


def test_an_input_past_the_input_limit_is_refused_unread() -> None:
    with pytest.raises(Rejected) as caught:
        documents(s.google(), Limits(max_input=1024))
    assert caught.value.code == "reports.too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a not a report", "reports.not_a_report"),
        (b"unused", "reports.not_a_report"),  # the Yahoo/AOL 2023 "gzip" body
        (b"PK\x03\x04 broken zip", "reports.bad_zip"),
        (s.zipped(s.zipped(s.google())), "reports.nested_archive"),
        (s.report_mail(b"just some words", "note.txt", "text/plain"), "reports.no_report_in_mail"),
    ],
)
def test_inputs_that_are_no_report_are_rejected_with_a_code(data: bytes, code: str) -> None:
    """Every bad input is a Rejected with a stable code, never another exception."""
    with pytest.raises(Rejected) as caught:
        documents(data)
    assert caught.value.code == code
