"""The SMTP sender against a real SMTP server on loopback: every step's failure is named."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from pathlib import Path

import pytest

from checks.canary.message import CanaryMessage, new_canary
from checks.canary.senders import SendError, SmtpSendConfig, SmtpSender
from tests.support.smtp_server import SmtpServer, closed_port, silent_listener
from tests.support.tls import TestCA, self_signed

# aiosmtpd warns when AUTH is offered without TLS; loopback plain AUTH is what we test here.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

FIXED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def canary() -> CanaryMessage:
    return new_canary("staging", "canary@example.test", "seed@inbox.example.test")


def send(port: int, **overrides: object) -> tuple[SmtpSender, CanaryMessage]:
    settings: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "none"}
    settings.update(overrides)
    sender = SmtpSender(SmtpSendConfig(**settings), clock=lambda: FIXED)  # type: ignore[arg-type]
    return sender, canary()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


def test_plain_loopback_send_delivers_the_canary_bytes() -> None:
    """The relay receives our exact message with the token header and envelope."""
    with SmtpServer() as server:
        sender, msg = send(server.port)
        receipt = sender.send(msg)
    assert receipt.message_id == msg.message_id
    assert receipt.accepted_at == FIXED
    assert receipt.relay_reply == "250 2.0.0 Ok: queued as TEST1"
    [got] = server.messages
    assert got.mail_from == "canary@example.test"
    assert got.rcpt_tos == ("seed@inbox.example.test",)
    parsed = email.message_from_bytes(got.data, policy=policy.default)
    assert parsed["X-Senderwatch-Canary"] == msg.token
    assert parsed["Message-ID"] == msg.message_id


@pytest.mark.parametrize(
    ("step", "reply", "code", "retryable"),
    [
        ("mail_from", "553 5.7.1 Sender address rejected: not owned by user", 553, False),
        ("mail_from", "452 4.3.1 Insufficient system storage", 452, True),
        ("rcpt", "550 5.1.1 <seed@inbox.example.test>: Recipient address rejected", 550, False),
        ("data", "554 5.7.1 Message rejected: DKIM signing error", 554, False),
    ],
)
def test_refusal_names_the_step_and_the_relays_reply(
    step: str, reply: str, code: int, retryable: bool
) -> None:
    """A user reads which step failed and the relay's own words, as an SMTP tester shows."""
    with SmtpServer(refuse={step: reply}) as server:
        sender, msg = send(server.port)
        with pytest.raises(SendError) as info:
            sender.send(msg)
    err = info.value
    assert (err.step, err.code, err.retryable) == (step, code, retryable)
    assert err.text == reply.split(" ", 1)[1]
    assert any(line.startswith(f"<<< {code}") for line in err.transport_log)


def test_auth_success_is_logged_without_the_password() -> None:
    """AUTH works with the password passed in, and the transcript never holds it."""
    with SmtpServer(users={"canary": "s3cret-pw"}) as server:
        sender, msg = send(server.port, username="canary", password="s3cret-pw")
        receipt = sender.send(msg)
        assert server.messages[0].authenticated_as == "canary"
    log = "\n".join(receipt.transport_log)
    assert "AUTH PLAIN (credentials not logged)" in log
    assert "s3cret-pw" not in log
    assert "czNjcmV0LXB3" not in log  # nor its base64 form


def test_wrong_password_fails_at_auth_with_535() -> None:
    """A rotated relay password is diagnosed as an AUTH refusal, not a generic failure."""
    with SmtpServer(users={"canary": "right"}) as server:
        sender, msg = send(server.port, username="canary", password="wrong")
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "auth"
    assert info.value.code == 535
    assert "wrong" not in "\n".join(info.value.transport_log)


def test_nothing_listening_fails_at_connect_as_retryable() -> None:
    """A relay that is down is a connect failure, retryable, with the OS reason."""
    sender, msg = send(closed_port())
    with pytest.raises(SendError) as info:
        sender.send(msg)
    assert info.value.step == "connect"
    assert info.value.code is None
    assert info.value.retryable
    assert "refused" in info.value.text.lower()


def test_silent_relay_times_out_at_connect() -> None:
    """A relay that accepts TCP but never greets fails after the configured timeout."""
    with silent_listener() as listener:
        sender, msg = send(listener.port, timeout=0.3)
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "connect"
    assert info.value.text == "timed out after 0.3s"


def test_starttls_with_untrusted_certificate_fails_certificate_verification(
    tmp_path: Path,
) -> None:
    """A self-signed relay certificate is refused with the verifier's reason."""
    rogue = self_signed(tmp_path, "rogue")
    with SmtpServer(starttls=rogue.server_context()) as server:
        sender, msg = send(server.port, security="starttls", host="localhost")
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "certificate_verification"
    assert "self-signed" in info.value.text or "self signed" in info.value.text
    assert not info.value.retryable


def test_starttls_succeeds_with_the_relays_ca_file(ca: TestCA) -> None:
    """With ca_file naming the private CA, STARTTLS verifies and the send goes through."""
    cert = ca.issue("relay")
    with SmtpServer(starttls=cert.server_context(), users={"u": "p"}) as server:
        sender, msg = send(
            server.port,
            security="starttls",
            host="localhost",
            ca_file=str(ca.ca_file),
            username="u",
            password="p",
        )
        receipt = sender.send(msg)
    assert any(line.startswith("TLS established: TLSv1.") for line in receipt.transport_log)
    assert len(server.messages) == 1


def test_starttls_not_offered_fails_at_starttls() -> None:
    """Configured STARTTLS against a relay that does not offer it never falls back to plain."""
    with SmtpServer() as server:
        sender, msg = send(server.port, security="starttls", host="localhost")
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "starttls"
    assert server.messages == []


def test_implicit_tls_with_ca_file_delivers(ca: TestCA) -> None:
    """Port-465 style TLS (SMTP_SSL) verifies against the CA and delivers."""
    cert = ca.issue("smtps")
    with SmtpServer(implicit_tls=cert.server_context()) as server:
        sender, msg = send(server.port, security="tls", host="localhost", ca_file=str(ca.ca_file))
        sender.send(msg)
    assert len(server.messages) == 1


def test_implicit_tls_against_a_plain_server_is_a_handshake_failure() -> None:
    """Speaking TLS to a plaintext port is reported as tls_handshake, not a vague error."""
    with SmtpServer() as server:
        sender, msg = send(server.port, security="tls", host="localhost", timeout=2.0)
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "tls_handshake"


def test_missing_client_certificate_file_is_reported(ca: TestCA, tmp_path: Path) -> None:
    """A client_cert_file that cannot be loaded is named in the error."""
    cert = ca.issue("relay2")
    with SmtpServer(starttls=cert.server_context()) as server:
        sender, msg = send(
            server.port,
            security="starttls",
            host="localhost",
            ca_file=str(ca.ca_file),
            client_cert_file=str(tmp_path / "missing.crt"),
        )
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "tls_handshake"
    assert "missing.crt" in info.value.text


def test_custom_helo_is_used() -> None:
    """The configured HELO name goes into EHLO (relays that check it must see ours)."""
    with SmtpServer() as server:
        sender, msg = send(server.port, helo="canary.example.test")
        receipt = sender.send(msg)
    assert ">>> EHLO canary.example.test" in receipt.transport_log


def test_credentials_configured_but_no_auth_offered_fails_at_auth() -> None:
    """A relay that stopped offering AUTH is named, not silently sent to unauthenticated."""
    with SmtpServer() as server:
        sender, msg = send(server.port, username="canary", password="pw")
        with pytest.raises(SendError) as info:
            sender.send(msg)
    assert info.value.step == "auth"
    assert "not advertised" in info.value.text
    assert server.messages == []
