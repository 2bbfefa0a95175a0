"""The email channel against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest

from alerts.channels import EmailChannel, EmailConfig
from alerts.event import DeliveryError, Notification, NotifyReason
from tests.support.smtp_server import SmtpServer, closed_port, silent_listener
from tests.support.tls import TestCA

ALERT = {
    "key": "example.test/dmarc/dmarc.policy_weaker",
    "severity": "critical",
    "summary": "DMARC of example.test: <b>policy</b> is none",
    "check": "dmarc",
    "code": "dmarc.policy_weaker",
    "domain": "example.test",
    "environment": "production",
    "started_at": "2025-03-01T12:00:00Z",
    "resolved_at": None,
    "changes": [{"key": "dmarc.p", "before": "reject", "after": "none", "direction": "weakened"}],
    "evidence": {
        "record": "v=DMARC1; p=none",
        "lookups": [{"name": "_dmarc.example.test", "rcode": "NOERROR"}],
    },
}
PASSWORD = "s3cret-relay-pass"


def notification(reason: NotifyReason = NotifyReason.FIRST) -> Notification:
    return Notification(
        "msg_feedfacefeedface", "mail", reason, ALERT, dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    )


def channel(port: int, **overrides: object) -> EmailChannel:
    config: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "senderwatch@example.test",
        "recipients": ("oncall@example.test",),
        "security": "none",
        "timeout": 2.0,
    }
    config.update(overrides)
    return EmailChannel("mail", EmailConfig(**config))  # type: ignore[arg-type]


def test_alert_arrives_as_multipart_text_and_escaped_html() -> None:
    """Readers without HTML get text; HTML readers get markup with record text escaped."""
    with SmtpServer() as server:
        channel(server.port).deliver(notification())
    [received] = server.messages
    msg = email.message_from_bytes(received.data, policy=email.policy.default)
    assert str(msg["Subject"]).strip() == (
        "senderwatch: FIRING [CRITICAL] DMARC of example.test: <b>policy</b> is none"
    )
    assert msg["X-Senderwatch-Notification-Id"] == "msg_feedfacefeedface"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "dmarc.p: reject -> none (weakened)" in text
    assert "&lt;b&gt;policy&lt;/b&gt;" in html
    assert "<b>policy</b>" not in html


def test_evidence_reads_as_key_value_lines_never_a_python_repr() -> None:
    """People read `record: v=DMARC1; ...`, not `{'record': ...}`, in both parts."""
    with SmtpServer() as server:
        channel(server.port).deliver(notification())
    msg = email.message_from_bytes(server.messages[0].data, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    lines = text.splitlines()
    assert "record: v=DMARC1; p=none" in lines
    assert 'lookups: [{"name":"_dmarc.example.test","rcode":"NOERROR"}]' in lines
    assert "Check:       DMARC" in lines
    assert "lookups: [{&#34;name&#34;:&#34;_dmarc.example.test&#34;" in html
    for part in (text, html):
        assert "{'" not in part and "': '" not in part


def test_resolved_mail_says_resolved() -> None:
    """The resolved message reads differently from the firing one."""
    with SmtpServer() as server:
        channel(server.port).deliver(notification(NotifyReason.RESOLVED))
    msg = email.message_from_bytes(server.messages[0].data, policy=email.policy.default)
    assert str(msg["Subject"]).strip().startswith("senderwatch: RESOLVED ")


def test_starttls_with_login_through_a_verified_certificate(tmp_path: Path) -> None:
    """The production path: STARTTLS, certificate checked against our CA, then AUTH."""
    ca = TestCA(tmp_path)
    cert = ca.issue("relay")
    with SmtpServer(starttls=cert.server_context(), users={"alerts": PASSWORD}) as server:
        channel(
            server.port,
            security="starttls",
            username="alerts",
            password=PASSWORD,
            ca_file=str(ca.ca_file),
            host="localhost",
        ).deliver(notification())
    assert server.messages[0].authenticated_as == "alerts"


def test_relay_without_starttls_is_refused_permanently() -> None:
    """security = starttls never falls back to clear text."""
    with SmtpServer() as server, pytest.raises(DeliveryError) as err:
        channel(server.port, security="starttls").deliver(notification())
    assert not err.value.retryable
    assert "STARTTLS" in err.value.message


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("550 5.1.1 <oncall@example.test>: no such user", False), ("451 4.3.0 try later", True)],
)
def test_smtp_reply_codes_carry_the_retry_decision(reply: str, retryable: bool) -> None:
    """5xx is permanent, 4xx is worth retrying."""
    with SmtpServer(refuse={"rcpt": reply}) as server, pytest.raises(DeliveryError) as err:
        channel(server.port).deliver(notification())
    assert err.value.retryable is retryable


def test_refused_login_is_permanent_and_never_shows_the_password() -> None:
    """A wrong password will not fix itself; the error names the relay, not the secret."""
    with SmtpServer(users={"alerts": "other"}) as server, pytest.raises(DeliveryError) as err:
        channel(server.port, username="alerts", password=PASSWORD).deliver(notification())
    assert not err.value.retryable
    assert PASSWORD not in err.value.message
    assert PASSWORD not in str(channel(1, password=PASSWORD).describe())


def test_unreachable_or_silent_relay_is_retryable() -> None:
    """Connection refused and a relay that never greets are transient."""
    with pytest.raises(DeliveryError) as refused:
        channel(closed_port()).deliver(notification())
    assert refused.value.retryable
    with silent_listener() as hung, pytest.raises(DeliveryError) as timed_out:
        channel(hung.port, timeout=0.3).deliver(notification())
    assert timed_out.value.retryable
