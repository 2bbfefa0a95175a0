"""Alert channels: one module per service, one line each in `CHANNELS`.

A channel class has `kind`, a frozen `Config` dataclass (secret fields marked), and
`deliver(notification)`, `describe()`, `redact(text)`; failures raise `DeliveryError` with the
retry decision. Retries, backoff and dedup live in `alerts.outbox`, once.
"""

from alerts.channels.base import Channel
from alerts.channels.email import EmailChannel, EmailConfig
from alerts.channels.slack import SlackChannel, SlackConfig
from alerts.channels.webhook import WebhookChannel, WebhookConfig

__all__ = [
    "CHANNELS",
    "Channel",
    "EmailChannel",
    "EmailConfig",
    "SlackChannel",
    "SlackConfig",
    "WebhookChannel",
    "WebhookConfig",
]

CHANNELS: dict[str, type[SlackChannel] | type[WebhookChannel] | type[EmailChannel]] = {
    "slack": SlackChannel,
    "webhook": WebhookChannel,
    "email": EmailChannel,
}
