"""The canary message: unique token, headers a receiver and our readers rely on."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy

from checks.canary.inbox import matches_token
from checks.canary.message import CANARY_HEADER, new_canary, new_token

FIXED = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_tokens_are_unique_url_safe_and_prefixed() -> None:
    """Tokens go into URLs (unsubscribe), IMAP SEARCH and subjects; all must be safe."""
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(re.fullmatch(r"sw-[a-z2-7]{24}", t) for t in tokens)


def test_token_is_in_subject_header_and_message_id() -> None:
    """Readers match on the header, fall back to the subject; Message-ID is at the From domain."""
    msg = new_canary("production", "canary@example.test", "seed@inbox.test", clock=lambda: FIXED)
    parsed = parse(msg.to_bytes())
    assert parsed[CANARY_HEADER] == msg.token
    assert msg.token in parsed["Subject"]
    assert parsed["Message-ID"] == f"<{msg.token}@example.test>"
    assert parsed["Date"] == "Sun, 01 Mar 2026 12:30:00 +0000"
    assert parsed["From"] == "canary@example.test"
    assert matches_token(msg.to_bytes(), msg.token)


def test_wire_form_is_crlf_multipart_alternative_and_stable() -> None:
    """SMTP DATA needs CRLF; DKIM signs bytes, so the same canary serialises the same way."""
    msg = new_canary("staging", "canary@example.test", "seed@inbox.test")
    raw = msg.to_bytes()
    assert raw == msg.to_bytes()
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = parse(raw)
    assert parsed.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in parsed.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert msg.token in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_one_click_unsubscribe_headers_follow_rfc8058() -> None:
    """An https URI adds List-Unsubscribe-Post; {token} makes a canary-only endpoint."""
    msg = new_canary(
        "production",
        "news@example.test",
        "seed@inbox.test",
        list_unsubscribe="https://example.test/u/{token}, mailto:unsub@example.test",
    )
    parsed = parse(msg.to_bytes())
    assert parsed["List-Unsubscribe"] == (
        f"<https://example.test/u/{msg.token}>, <mailto:unsub@example.test>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mailto_only_unsubscribe_has_no_one_click_header() -> None:
    """RFC 8058 one-click needs an HTTPS URI; a mailto alone must not claim it."""
    msg = new_canary(
        "staging", "news@example.test", "seed@inbox.test", list_unsubscribe="mailto:u@example.test"
    )
    parsed = parse(msg.to_bytes())
    assert parsed["List-Unsubscribe"] == "<mailto:u@example.test>"
    assert parsed["List-Unsubscribe-Post"] is None


def test_release_tag_is_carried_when_given_and_absent_otherwise() -> None:
    """A result names the deploy it proves; no empty header when there is none."""
    tagged = parse(new_canary("s", "a@example.test", "b@x.test", release="v2.3.1").to_bytes())
    plain = parse(new_canary("s", "a@example.test", "b@x.test").to_bytes())
    assert tagged["X-Senderwatch-Release"] == "v2.3.1"
    assert plain["X-Senderwatch-Release"] is None


def test_idn_from_domain_goes_out_as_a_labels() -> None:
    """A U-label From domain is sent as its A-label, in From and Message-ID alike."""
    msg = new_canary("s", "canary@bücher.example.test", "seed@inbox.test")
    parsed = parse(msg.to_bytes())
    assert parsed["From"] == "canary@xn--bcher-kva.example.test"
    assert msg.message_id.endswith("@xn--bcher-kva.example.test>")


def test_html_body_escapes_the_environment_name() -> None:
    """Environment names come from config; they must not inject markup."""
    msg = new_canary("<b>x</b>", "a@example.test", "b@x.test")
    assert "&lt;b&gt;x&lt;/b&gt;" in msg.html
    assert "<b>x</b>" not in msg.html
