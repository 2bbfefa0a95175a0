"""The mail lab itself: mail through the real relay arrives authenticated, and the lab's
failure paths (shadow sender, broken key, stopped relay, blackhole) behave as the canary
tests assume. If these fail, every canary e2e result is meaningless."""

from __future__ import annotations

import email
import email.utils
import imaplib
import secrets
import smtplib
import time
from email.message import EmailMessage, Message

import pytest

from tests.support.mail_lab import Mailbox, MailLab

pytestmark = pytest.mark.e2e


def _message(lab: MailLab, to: str, token: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"canary@{lab.sending_domain}"
    msg["To"] = to
    msg["Subject"] = f"lab smoke {token}"
    msg["Date"] = email.utils.formatdate()
    msg["Message-ID"] = email.utils.make_msgid(domain=lab.sending_domain)
    msg.set_content(f"token {token}\n")
    return msg


def _fetch_by_subject(box: Mailbox, host: str, port: int, needle: str, wait: float) -> Message:
    """Poll the mailbox over IMAP until a message whose subject has `needle` is there."""
    deadline = time.monotonic() + wait
    while True:
        with imaplib.IMAP4(host, port, timeout=5) as imap:
            imap.login(box.username, box.password)
            imap.select("INBOX")
            _, data = imap.search(None, "SUBJECT", f'"{needle}"')
            ids = data[0].split()
            if ids:
                _, parts = imap.fetch(ids[-1], "(RFC822)")
                imap.store(ids[-1], "+FLAGS", "\\Deleted")
                imap.expunge()
                first = parts[0]
                assert isinstance(first, tuple)
                raw = first[1]
                return email.message_from_bytes(raw)
        if time.monotonic() > deadline:
            raise AssertionError(f"no message with {needle!r} in {box.address} after {wait}s")
        time.sleep(0.2)


def _receiver_results(lab: MailLab, msg: Message) -> str:
    """The receiver's own Authentication-Results headers, joined (text checks only)."""
    headers = msg.get_all("Authentication-Results") or []
    return " ; ".join(h for h in headers if h.strip().startswith(lab.authserv_id))


def test_relay_signs_and_receiver_stamps_spf_dkim_dmarc_pass(in_lab: MailLab) -> None:
    """The lab's happy path must be a genuine pass, or no canary verdict in it means anything."""
    box = in_lab.mailbox("canary")
    token = secrets.token_hex(6)
    with smtplib.SMTP(in_lab.relay.host, in_lab.relay.port, timeout=10) as smtp:
        smtp.send_message(_message(in_lab, box.address, token))
    msg = _fetch_by_subject(box, in_lab.imap.host, in_lab.imap.port, token, wait=20)
    results = _receiver_results(in_lab, msg)
    assert "spf=pass" in results
    assert "client-ip=127.0.0.10" in results  # SPF really evaluated the relay's address
    assert "dkim=pass" in results
    assert f"header.d={in_lab.sending_domain}" in results
    assert "dmarc=pass" in results
    assert "with ESMTPS" in " ".join(msg.get_all("Received") or [])


def test_shadow_path_is_unsigned_and_fails_spf_and_dmarc(in_lab: MailLab) -> None:
    """The unsigned-canary case needs a path whose mail really fails DMARC at the receiver."""
    box = in_lab.mailbox("canary")
    token = secrets.token_hex(6)
    with smtplib.SMTP(in_lab.shadow_relay.host, in_lab.shadow_relay.port, timeout=10) as smtp:
        smtp.send_message(_message(in_lab, box.address, token))
    msg = _fetch_by_subject(box, in_lab.imap.host, in_lab.imap.port, token, wait=20)
    results = _receiver_results(in_lab, msg)
    assert "DKIM-Signature" not in msg
    assert "dkim=none" in results
    assert "spf=fail" in results
    assert "client-ip=127.0.0.11" in results
    assert "dmarc=fail" in results
