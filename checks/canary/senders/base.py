"""What every canary sender returns or raises.

A sender's job ends when the relay or the ESP accepted the message; proving delivery and
authentication is the round trip's job. A refusal must still be precise, as an SMTP tester
shows it: which step, the server's reply code and text, and whether retrying could help.

Exceptions:
    SendError                  the transport refused or failed; `step` names where.
    └── BodyTemplateError      an HTTP body template did not render to JSON (config problem).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal, Protocol, get_args

from checks.canary.message import CanaryMessage

__all__ = ["SEND_STEPS", "BodyTemplateError", "SendError", "SendReceipt", "SendStep", "Sender"]

SendStep = Literal[
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
]
SEND_STEPS: tuple[str, ...] = get_args(SendStep)


@dataclasses.dataclass(frozen=True, slots=True)
class SendReceipt:
    """Proof that the transport accepted the canary.

    Attributes:
        message_id: the Message-ID we set (`<token@domain>`).
        accepted_at: aware UTC time of acceptance, from the injected clock.
        relay_reply: the final reply (`250 2.0.0 Ok: queued as 4XyZ`, or `HTTP 202`).
        transport_log: the dialogue, credentials never included; kept as evidence.
        provider_message_id: the ESP's own id for the message, when its API returns one.
    """

    message_id: str
    accepted_at: dt.datetime
    relay_reply: str
    transport_log: tuple[str, ...] = ()
    provider_message_id: str | None = None


class SendError(Exception):
    """The canary was not accepted.

    Attributes:
        step: one of `SEND_STEPS` (connect, tls_handshake, certificate_verification, ehlo,
            starttls, auth, mail_from, rcpt, data, http, template).
        code: the SMTP reply code or HTTP status, None when there was no reply.
        text: the server's reply text (secrets redacted) or the local reason.
        retryable: transient (4xx SMTP, 5xx HTTP, timeouts) rather than a refusal.
        transport_log: the dialogue up to the failure, for evidence.
    """

    def __init__(
        self,
        step: str,
        code: int | None,
        text: str,
        retryable: bool,
        transport_log: tuple[str, ...] = (),
    ) -> None:
        self.step = step
        self.code = code
        self.text = text
        self.retryable = retryable
        self.transport_log = transport_log
        shown = f"{code} {text}" if code is not None else text
        super().__init__(f"{step}: {shown}")


class BodyTemplateError(SendError):
    """The HTTP body template is broken (syntax, undefined name, or not JSON once rendered).

    A configuration problem, not a transport one: `config validate` reports it at load.
    """

    def __init__(self, text: str) -> None:
        super().__init__("template", None, text, False)


class Sender(Protocol):
    """The sending seam: one registered class per transport (`SENDERS`)."""

    def send(self, message: CanaryMessage) -> SendReceipt:
        """Hand `message` to the transport.

        Raises:
            SendError: refused or failed, with the step and the server's reply.
        """
        ...
