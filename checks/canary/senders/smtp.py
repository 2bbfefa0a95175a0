"""Send the canary through the environment's real relay with SMTP.

The relay is the environment's own sending path (submission with AUTH, or a loopback MTA),
so a pass proves what production mail goes through. The password arrives already resolved:
the monitor reads the variable named by `password_env`; checks never read the environment.
"""

from __future__ import annotations

import dataclasses

from checks.base import Clock, utcnow
from checks.canary.message import CanaryMessage
from checks.canary.senders.base import SendError, SendReceipt
from checks.smtp.session import SmtpEndpoint, SmtpSession, SmtpStepError

__all__ = ["SmtpSendConfig", "SmtpSender"]


@dataclasses.dataclass(frozen=True, slots=True)
class SmtpSendConfig(SmtpEndpoint):
    """The relay (every `SmtpEndpoint` field) and how to authenticate to it (built by
    `monitor.wiring.canary`)."""

    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)


class SmtpSender:
    """`send(message) -> SendReceipt` over SMTP; every refusal is a `SendError` with its step."""

    kind = "smtp"
    Config = SmtpSendConfig

    def __init__(self, config: SmtpSendConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self.clock = clock

    def send(self, message: CanaryMessage) -> SendReceipt:
        """Connect, secure, authenticate, and submit one message.

        Raises:
            SendError: with step connect, tls_handshake, certificate_verification, ehlo,
                starttls, auth, mail_from, rcpt or data, and the relay's reply.
        """
        cfg = self.config
        with SmtpSession(cfg) as session:
            try:
                session.open()
                if cfg.username:
                    session.login(cfg.username, cfg.password or "")
                reply = session.send(message.from_addr, [message.to_addr], message.to_bytes())
            except SmtpStepError as exc:
                raise SendError(
                    exc.step, exc.code, exc.text, exc.retryable, tuple(session.transcript)
                ) from None
            accepted_at = self.clock()
            session.close()
            return SendReceipt(
                message_id=message.message_id,
                accepted_at=accepted_at,
                relay_reply=reply,
                transport_log=tuple(session.transcript),
            )
