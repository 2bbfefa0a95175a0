"""`[[alerts.channels]]`: one settings model per channel kind, keyed by the channel registry.

```toml
[[alerts.channels]]
name = "oncall"
kind = "slack"                          # a key of alerts.channels.CHANNELS
webhook_url_env = "SLACK_WEBHOOK_URL"   # secrets only through *_env keys
min_severity = "warning"
environments = []                       # empty: every environment (and plain domains)
domains = []                            # empty: every domain
repeat_interval = "4h"
```

`kind` picks the model (`CHANNEL_SETTINGS`, whose keys are exactly the registry's): an
unknown kind is an error listing the known ones, and a key of another kind is an unknown key.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from alerts.channels import CHANNELS
from monitor.config._base import (
    EnvName,
    HttpUrl,
    Problems,
    Section,
    Security,
    plaintext_only_on_loopback,
    shorten,
)
from monitor.config._base import validate_domain_name as _domain
from monitor.config.durations import Duration
from monitor.config.kinds import kind_union

__all__ = [
    "CHANNEL_SETTINGS",
    "ChannelSettings",
    "EmailChannelSettings",
    "SlackChannelSettings",
    "WebhookChannelSettings",
]

DomainName = Annotated[str, AfterValidator(_domain)]
SeverityName = Literal["info", "warning", "critical"]
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def _email_address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f'not an email address; got "{shorten(value)}"')
    return value


EmailAddress = Annotated[str, AfterValidator(_email_address)]


class _Channel(Section):
    """What every channel has: its name and its route."""

    name: str
    min_severity: SeverityName = "warning"
    environments: tuple[str, ...] = ()
    domains: tuple[DomainName, ...] = ()
    repeat_interval: Duration = dt.timedelta(hours=4)
    timeout: float = Field(default=10.0, gt=0, le=300)

    @field_validator("timeout", mode="before")
    @classmethod
    def _int_timeout_is_fine(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("name")
    @classmethod
    def _name_is_a_slug(cls, value: str) -> str:
        if not _CHANNEL_NAME.match(value):
            raise ValueError(
                f'must be lower-case letters, digits, "-", "_" or "."; got "{shorten(value)}"'
            )
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _positive_interval(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("must be longer than zero")
        return value


class SlackChannelSettings(_Channel):
    """A Slack incoming webhook; its URL is a bearer secret, so it comes from the environment."""

    kind: Literal["slack"]
    webhook_url_env: EnvName


class WebhookChannelSettings(_Channel):
    """A signed generic webhook: `url` (or `url_env` when the URL itself is secret)."""

    kind: Literal["webhook"]
    url: HttpUrl | None = None
    url_env: EnvName | None = None
    secret_env: EnvName

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannelSettings:
        if bool(self.url) == bool(self.url_env):
            raise ValueError('kind = "webhook" needs exactly one of url or url_env')
        return self


class EmailChannelSettings(_Channel):
    """Email through an SMTP relay."""

    kind: Literal["email"]
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    password_env: EnvName | None = None
    from_address: EmailAddress = Field(alias="from")
    to: tuple[EmailAddress, ...]
    verify_certificate: bool = True
    ca_file: str | None = None

    @model_validator(mode="after")
    def _email_rules(self) -> EmailChannelSettings:
        problems = Problems("email channel")
        if not self.to:
            problems.add("to is empty: name at least one recipient", "to")
        if plaintext := plaintext_only_on_loopback(self.host, self.security):
            problems.add(plaintext)
        if self.password_env and not self.username:
            problems.add("password_env is set but username is missing")
        problems.raise_any()
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "none": 25}[self.security]


CHANNEL_SETTINGS: dict[str, type[Section]] = {
    "slack": SlackChannelSettings,
    "webhook": WebhookChannelSettings,
    "email": EmailChannelSettings,
}
"""kind → settings model; the union below takes its members in `CHANNELS` order, so a channel
registered without a model fails at import (a test also holds the keys equal)."""

if TYPE_CHECKING:
    ChannelSettings = SlackChannelSettings | WebhookChannelSettings | EmailChannelSettings
else:
    ChannelSettings = kind_union("alerts.channels.CHANNELS", CHANNELS, CHANNEL_SETTINGS)
