"""Canary senders: one class per transport, registered explicitly.

`SENDERS["smtp"]` takes an `SmtpSendConfig`, `SENDERS["http"]` an `HttpSendConfig`; both
implement `Sender.send(message) -> SendReceipt` and raise `SendError` naming the failed step.
"""

import requests

from checks.base import Clock, utcnow
from checks.canary.senders.base import (
    SEND_STEPS,
    BodyTemplateError,
    Sender,
    SendError,
    SendReceipt,
)
from checks.canary.senders.esp_http import HttpSendConfig, HttpSender, check_body_template
from checks.canary.senders.smtp import SmtpSendConfig, SmtpSender

__all__ = [
    "SENDERS",
    "SEND_STEPS",
    "BodyTemplateError",
    "HttpSendConfig",
    "HttpSender",
    "SendError",
    "SendReceipt",
    "Sender",
    "SmtpSendConfig",
    "SmtpSender",
    "check_body_template",
    "make_sender",
]

SENDERS: dict[str, type[SmtpSender] | type[HttpSender]] = {
    "smtp": SmtpSender,
    "http": HttpSender,
}


def make_sender(
    config: SmtpSendConfig | HttpSendConfig,
    *,
    clock: Clock = utcnow,
    session: requests.Session | None = None,
) -> Sender:
    """The sender for `config` (its type picks the transport).

    Args:
        config: an `SmtpSendConfig` or an `HttpSendConfig`, secrets already resolved.
        clock: stamps `SendReceipt.accepted_at`.
        session: the `requests.Session` HTTP senders use (injected in tests).
    """
    if isinstance(config, SmtpSendConfig):
        return SmtpSender(config, clock=clock)
    return HttpSender(config, clock=clock, session=session)
