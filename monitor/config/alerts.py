"""Alert sections: channels with their routing, the lifecycle's damping, delivery retries.

```toml
[alerts.lifecycle]
consecutive = { canary = 2, dns = 1 }   # sightings in a row before a problem fires
error_grace = "30m"                     # erroring this long fires check.unavailable

[alerts.delivery]
max_attempts = 8
backoff_initial = "5s"
backoff_max = "10m"
retry_after_max = "10m"                 # default: backoff_max; at most 1h
wait = "30s"                            # one-shot commands spend at most this on delivery
```

The channels themselves (`[[alerts.channels]]`, one model per kind) are in
`monitor.config.channels`. Durations are strings: `90s`, `30m`, `4h`, `1d` (or `1h30m`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from monitor.config._base import Problems, Section
from monitor.config.channels import ChannelSettings
from monitor.config.durations import Duration, parse_duration

__all__ = [
    "RETRY_AFTER_CEILING",
    "AlertsSettings",
    "ChannelSettings",
    "DeliverySettings",
    "LifecycleSettings",
    "parse_duration",
]

RETRY_AFTER_CEILING = dt.timedelta(hours=1)
"""No receiver's Retry-After parks a notification longer than this, whatever the config."""


class LifecycleSettings(Section):
    """Flap damping per check kind and the grace period before `check.unavailable` fires."""

    consecutive: dict[str, Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=lambda: {"canary": 2, "dns": 1}
    )
    error_grace: Duration = dt.timedelta(minutes=30)


class DeliverySettings(Section):
    """Outbox retries, how far a receiver's Retry-After is followed, and the hard bound on
    the time one-shot commands spend delivering."""

    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_initial: Duration = dt.timedelta(seconds=5)
    backoff_max: Duration = dt.timedelta(minutes=10)
    retry_after_max: Duration | None = None
    lease: Duration = dt.timedelta(minutes=2)
    wait: Duration = dt.timedelta(seconds=30)

    @model_validator(mode="after")
    def _sane(self) -> DeliverySettings:
        problems = Problems("delivery")
        if self.backoff_initial <= dt.timedelta(0) or self.backoff_max < self.backoff_initial:
            problems.add("need 0 < backoff_initial <= backoff_max")
        if self.retry_after_max is not None and not (
            dt.timedelta(0) <= self.retry_after_max <= RETRY_AFTER_CEILING
        ):
            problems.add("must be between 0s and 1h", "retry_after_max")
        if self.lease < dt.timedelta(seconds=1):
            problems.add("lease must be at least 1s (longer than a channel's timeout)")
        if self.wait < dt.timedelta(0):
            problems.add("must not be negative", "wait")
        problems.raise_any()
        return self

    @property
    def retry_after_cap(self) -> dt.timedelta:
        """The longest Retry-After honoured: `retry_after_max`, else `backoff_max`, and never
        more than one hour."""
        chosen = self.backoff_max if self.retry_after_max is None else self.retry_after_max
        return min(chosen, RETRY_AFTER_CEILING)


class AlertsSettings(Section):
    channels: tuple[ChannelSettings, ...] = ()
    lifecycle: LifecycleSettings = LifecycleSettings()
    delivery: DeliverySettings = DeliverySettings()

    @field_validator("channels")
    @classmethod
    def _names_unique(cls, channels: tuple[ChannelSettings, ...]) -> tuple[ChannelSettings, ...]:
        problems = Problems("channels")
        first: dict[str, int] = {}
        for index, channel in enumerate(channels):
            if channel.name in first:
                problems.add(
                    f'channel "{channel.name}" is defined twice '
                    f"(channels[{first[channel.name]}] and channels[{index}])"
                )
            first.setdefault(channel.name, index)
        problems.raise_any()
        return channels

    def channel(self, name: str) -> ChannelSettings | None:
        return next((c for c in self.channels if c.name == name), None)
