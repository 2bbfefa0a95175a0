"""Canary senders: one class per transport, registered explicitly.

`SENDERS["smtp"]` takes an `SmtpSendConfig`, `SENDERS["http"]` an `HttpSendConfig`; both
implement `Sender.send(message) -> SendReceipt` and raise `SendError` naming the failed step.
"""

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
]

SENDERS: dict[str, type[SmtpSender] | type[HttpSender]] = {
    "smtp": SmtpSender,
    "http": HttpSender,
}
