"""Alert sections: channels with their routing, the lifecycle's damping, delivery retries.

```toml
[alerts.lifecycle]
consecutive = { canary = 2, dns = 1 }   # sightings in a row before a problem fires
error_grace = "30m"                     # erroring this long fires check.unavailable

[alerts.delivery]
max_attempts = 8
backoff_initial = "5s"
backoff_max = "10m"
wait = "30s"                            # one-shot commands wait this long for deliveries

[[alerts.channels]]
name = "oncall"
kind = "slack"                          # slack | webhook | email
webhook_url_env = "SLACK_WEBHOOK_URL"   # secrets only through *_env keys
min_severity = "warning"
environments = []                       # empty: every environment (and plain domains)
domains = []                            # empty: every domain
repeat_interval = "4h"
```

Durations are strings: `90s`, `30m`, `4h`, `1d` (or combined: `1h30m`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from monitor.config._base import Section, validate_domain_name
from monitor.config.environments import is_loopback_host

__all__ = [
    "AlertsSettings",
    "ChannelSettings",
    "DeliverySettings",
    "LifecycleSettings",
    "parse_duration",
]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """`90s`, `30m`, `4h`, `1d`, `1h30m` → timedelta.

    Raises:
        ValueError: anything else (a bare number is refused: seconds or minutes?).
    """
    value = text.strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise ValueError(f'must be a duration such as "90s", "30m", "4h" or "1d"; got "{text}"')
    return dt.timedelta(seconds=total)


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[dt.timedelta, BeforeValidator(_duration)]
DomainName = Annotated[str, AfterValidator(validate_domain_name)]
SeverityName = Literal["info", "warning", "critical"]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

_KIND_KEYS = {
    "slack": {"webhook_url_env"},
    "webhook": {"url", "url_env", "secret_env"},
    "email": {
        "host",
        "port",
        "security",
        "username",
        "password_env",
        "from_address",
        "to",
        "verify_certificate",
        "ca_file",
    },
}


class ChannelSettings(Section):
    """One destination and its route. Keys of other kinds are refused, so typos surface."""

    name: str
    kind: Literal["slack", "webhook", "email"]
    min_severity: SeverityName = "warning"
    environments: tuple[str, ...] = ()
    domains: tuple[DomainName, ...] = ()
    repeat_interval: Duration = dt.timedelta(hours=4)
    timeout: float = Field(default=10.0, gt=0, le=300)
    # slack
    webhook_url_env: str | None = None
    # webhook
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = None
    # email
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    from_address: str | None = Field(default=None, alias="from")
    to: tuple[str, ...] = ()
    verify_certificate: bool = True
    ca_file: str | None = None

    @field_validator("timeout", mode="before")
    @classmethod
    def _int_timeout_is_fine(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("name")
    @classmethod
    def _name_is_a_slug(cls, value: str) -> str:
        if not _CHANNEL_NAME.match(value):
            raise ValueError(f'must be lower-case letters, digits, "-", "_" or "."; got "{value}"')
        return value

    @field_validator("webhook_url_env", "url_env", "secret_env", "password_env")
    @classmethod
    def _env_names(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f'must name an environment variable; got "{value}"')
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _positive_interval(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> ChannelSettings:
        foreign = sorted(
            key
            for kind, keys in _KIND_KEYS.items()
            if kind != self.kind
            for key in keys - _KIND_KEYS[self.kind]
            if key in self.model_fields_set
        )
        if foreign:
            raise ValueError(f'keys {", ".join(foreign)} do not apply to kind = "{self.kind}"')
        if self.kind == "slack" and not self.webhook_url_env:
            raise ValueError('kind = "slack" needs webhook_url_env (the webhook URL is a secret)')
        if self.kind == "webhook":
            if bool(self.url) == bool(self.url_env):
                raise ValueError('kind = "webhook" needs exactly one of url or url_env')
            if self.url and not self.url.startswith(("https://", "http://")):
                raise ValueError(f'url must be an http(s) URL; got "{self.url}"')
            if not self.secret_env:
                raise ValueError('kind = "webhook" needs secret_env (the whsec_ signing secret)')
        if self.kind == "email":
            self._email_rules()
        return self

    def _email_rules(self) -> None:
        if not self.host or not self.from_address or not self.to:
            raise ValueError('kind = "email" needs host, from and to')
        if self.security == "none" and not is_loopback_host(self.host):
            raise ValueError(
                f'security = "none" is allowed only for a loopback host; got host "{self.host}"'
            )
        if self.password_env and not self.username:
            raise ValueError("password_env is set but username is missing")
        for address in (self.from_address, *self.to):
            if "@" not in address:
                raise ValueError(f'not an email address; got "{address}"')

    @property
    def smtp_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "none": 25}[self.security]


class LifecycleSettings(Section):
    """Flap damping per check kind and the grace period before `check.unavailable` fires."""

    consecutive: dict[str, Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=lambda: {"canary": 2, "dns": 1}
    )
    error_grace: Duration = dt.timedelta(minutes=30)


class DeliverySettings(Section):
    """Outbox retries and the bounded wait of one-shot commands."""

    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_initial: Duration = dt.timedelta(seconds=5)
    backoff_max: Duration = dt.timedelta(minutes=10)
    lease: Duration = dt.timedelta(minutes=2)
    wait: Duration = dt.timedelta(seconds=30)

    @model_validator(mode="after")
    def _sane(self) -> DeliverySettings:
        if self.backoff_initial <= dt.timedelta(0) or self.backoff_max < self.backoff_initial:
            raise ValueError("need 0 < backoff_initial <= backoff_max")
        if self.lease < dt.timedelta(seconds=1):
            raise ValueError("lease must be at least 1s (longer than a channel's timeout)")
        return self


class AlertsSettings(Section):
    channels: tuple[ChannelSettings, ...] = ()
    lifecycle: LifecycleSettings = LifecycleSettings()
    delivery: DeliverySettings = DeliverySettings()

    @model_validator(mode="after")
    def _names_unique(self) -> AlertsSettings:
        seen: set[str] = set()
        for channel in self.channels:
            if channel.name in seen:
                raise ValueError(f'channel "{channel.name}" is defined twice')
            seen.add(channel.name)
        return self

    def channel(self, name: str) -> ChannelSettings | None:
        return next((c for c in self.channels if c.name == name), None)
