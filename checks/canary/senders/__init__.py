"""Canary senders: one class per transport, registered explicitly in `SENDERS`.

`SENDERS["smtp"]` takes an `SmtpSendConfig`, `SENDERS["http"]` an `HttpSendConfig` (each
class names its config type as `Config`); both implement `Sender.send(message) ->
SendReceipt` and raise `SendError` naming the failed step. The registry's keys are the
sending-path table names of the config (`[environments.NAME.smtp]`).

The registry and the other names here are imported on first use, so code that needs only
the kinds (config validation) does not import the SMTP and HTTP stacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checks.base import Clock, utcnow
from checks.registry import LazyRegistry, lazy_attributes

if TYPE_CHECKING:
    import requests

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

SENDERS = LazyRegistry(
    {
        "smtp": "checks.canary.senders.smtp:SmtpSender",
        "http": "checks.canary.senders.esp_http:HttpSender",
    }
)


def make_sender(
    config: SmtpSendConfig | HttpSendConfig,
    *,
    clock: Clock = utcnow,
    session: requests.Session | None = None,
) -> Sender:
    """The registered sender whose `Config` is the type of `config`.

    Args:
        config: an `SmtpSendConfig` or an `HttpSendConfig`, secrets already resolved.
        clock: stamps `SendReceipt.accepted_at`.
        session: the `requests.Session` a sender that speaks HTTP uses (injected in tests).

    Raises:
        TypeError: no registered sender takes this config type.
    """
    classes: list[Any] = list(SENDERS.values())
    for cls in classes:
        if isinstance(config, cls.Config):
            extra: dict[str, Any] = {"session": session} if session is not None else {}
            sender: Sender = cls(config, clock=clock, **extra)
            return sender
    raise TypeError(f"no sender in SENDERS takes a {type(config).__name__}")


_EXPORTS = {
    "SEND_STEPS": "checks.canary.senders.base",
    "BodyTemplateError": "checks.canary.senders.base",
    "Sender": "checks.canary.senders.base",
    "SendError": "checks.canary.senders.base",
    "SendReceipt": "checks.canary.senders.base",
    "HttpSendConfig": "checks.canary.senders.esp_http",
    "HttpSender": "checks.canary.senders.esp_http",
    "check_body_template": "checks.canary.senders.esp_http",
    "SmtpSendConfig": "checks.canary.senders.smtp",
    "SmtpSender": "checks.canary.senders.smtp",
}


__getattr__ = lazy_attributes(globals(), _EXPORTS, __name__)
