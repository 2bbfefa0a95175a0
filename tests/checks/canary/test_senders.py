"""The sender and reader registries, and the error vocabulary every transport shares."""

from __future__ import annotations

from checks.canary.inbox import (
    READERS,
    ImapInbox,
    ImapInboxConfig,
    MaildirInbox,
    MaildirInboxConfig,
    matches_token,
    open_inbox,
)
from checks.canary.senders import (
    SEND_STEPS,
    SENDERS,
    HttpSendConfig,
    HttpSender,
    SendError,
    SmtpSendConfig,
    SmtpSender,
    make_sender,
)


def test_registries_are_explicit_and_keyed_by_kind() -> None:
    """Config `kind`s map one-to-one to classes; no scanning, no surprises."""
    assert {"smtp": SmtpSender, "http": HttpSender} == SENDERS
    assert {"imap": ImapInbox, "maildir": MaildirInbox} == READERS
    assert all(cls.kind == key for key, cls in SENDERS.items())
    assert all(cls.kind == key for key, cls in READERS.items())


def test_factories_pick_the_transport_from_the_config_type() -> None:
    """The round trip hands over a config; the factory chooses the class."""
    smtp = make_sender(SmtpSendConfig(host="127.0.0.1", security="none"))
    http = make_sender(HttpSendConfig(url="http://127.0.0.1/", body_template="{}"))
    assert isinstance(smtp, SmtpSender)
    assert isinstance(http, HttpSender)
    assert isinstance(open_inbox(ImapInboxConfig(host="127.0.0.1", username="u")), ImapInbox)
    assert isinstance(open_inbox(MaildirInboxConfig(path="/nonexistent")), MaildirInbox)


def test_send_steps_cover_an_smtp_testers_vocabulary() -> None:
    """Every step a user may read in a failure is one of these stable names."""
    assert SEND_STEPS == (
        "connect",
        "tls_handshake",
        "certificate_verification",
        "ehlo",
        "starttls",
        "auth",
        "mail_from",
        "rcpt",
        "data",
        "http",
        "template",
    )


def test_send_error_reads_like_the_server_reply() -> None:
    """`rcpt: 550 5.1.1 ...` is what a human expects to see."""
    err = SendError("rcpt", 550, "5.1.1 <x@example.test>: Recipient address rejected", False)
    assert str(err) == "rcpt: 550 5.1.1 <x@example.test>: Recipient address rejected"
    assert str(SendError("connect", None, "Connection refused", True)) == (
        "connect: Connection refused"
    )


def test_token_match_is_on_headers_only_and_case_insensitive() -> None:
    """IMAP SEARCH matches substrings anywhere; we confirm on the message's own headers."""
    token = "sw-abcdefghijklmnopqrstuvwx"
    header = f"X-Senderwatch-Canary: {token.upper()}\r\nSubject: hi\r\n\r\nbody\r\n".encode()
    subject = f"Subject: canary {token}\r\n\r\nbody\r\n".encode()
    body_only = f"Subject: report\r\n\r\nX-Senderwatch-Canary: {token}\r\n".encode()
    prefix = f"X-Senderwatch-Canary: {token}zz\r\n\r\n".encode()
    assert matches_token(header, token)
    assert matches_token(subject, token)
    assert not matches_token(body_only, token)
    assert not matches_token(prefix, token)
