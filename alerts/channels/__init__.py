"""Alert channels: one module per service, one line each in `CHANNELS`.

A channel class has `kind`, a frozen `Config` dataclass (secret fields marked), and
`deliver(notification, timeout=None)`, `describe()`, `redact(text)`; failures raise
`DeliveryError` with the retry decision. Retries, backoff and dedup live in `alerts.outbox`,
once.

`CHANNELS` maps a kind to "module:Class" and imports a class the first time it is read, so
code that needs only the kinds (config validation) does not import the HTTP and template
stack; the other names here are imported on first use as well.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


class _LazyClasses(Mapping[str, Any]):
    """An explicit `kind → "module:Class"` table, importing a class when first read.

    (`checks.registry.LazyRegistry` has the same shape; `alerts` does not import `checks`
    beyond its result vocabulary, hence this copy of a dozen lines.)
    """

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._paths = dict(entries)
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._loaded:
            module, _, name = self._paths[key].partition(":")
            self._loaded[key] = getattr(importlib.import_module(module), name)
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


CHANNELS: Mapping[str, Any] = _LazyClasses(
    {
        "slack": "alerts.channels.slack:SlackChannel",
        "webhook": "alerts.channels.webhook:WebhookChannel",
        "email": "alerts.channels.email:EmailChannel",
    }
)

_EXPORTS = {
    "Channel": "alerts.channels.base",
    "EmailChannel": "alerts.channels.email",
    "EmailConfig": "alerts.channels.email",
    "SlackChannel": "alerts.channels.slack",
    "SlackConfig": "alerts.channels.slack",
    "WebhookChannel": "alerts.channels.webhook",
    "WebhookConfig": "alerts.channels.webhook",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
