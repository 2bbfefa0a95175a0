"""Alert settings → the objects the lifecycle, the router and the outbox take.

    alerts_clock()              the clock alerting uses (test-only offset honoured)
    lifecycle_policy(settings)  flap damping and error grace
    routes(settings)            one route per channel
    retry_policy(settings)      outbox backoff and the Retry-After cap
    build_channel(s)(settings)  channels, with secrets read through `monitor.wiring.secrets`

Channels are built by kind through `CHANNEL_KINDS` (kind → settings model, builder), whose
keys are exactly those of `alerts.channels.CHANNELS` and whose models are those of the
config's channel union (checked at import): the builder makes the registered class with its
`Config`. An unknown kind cannot reach here, because the config refuses it with the list of
known kinds.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from alerts.channels import CHANNELS
from alerts.lifecycle import LifecyclePolicy
from alerts.outbox import RetryPolicy
from alerts.routing import Route
from checks.result import Severity
from monitor.config import ConfigError
from monitor.config._base import Section, validate_http_url
from monitor.config.alerts import AlertsSettings
from monitor.config.channels import (
    CHANNEL_SETTINGS,
    ChannelSettings,
    EmailChannelSettings,
    SlackChannelSettings,
    WebhookChannelSettings,
)
from monitor.config.kinds import same_kinds
from monitor.wiring.secrets import read_secret

if TYPE_CHECKING:  # loaded with the channels themselves, when a config has any
    import requests

    from alerts.channels.base import Channel

__all__ = [
    "CHANNEL_KINDS",
    "CLOCK_OFFSET_ENV",
    "ChannelKind",
    "Clock",
    "alerts_clock",
    "build_channel",
    "build_channels",
    "lifecycle_policy",
    "retry_policy",
    "routes",
]

CLOCK_OFFSET_ENV = "SENDERWATCH_TEST_CLOCK_OFFSET"
"""TEST ONLY: seconds added to the alert clock (lifecycle, reminders, outbox due times), so an
end-to-end test can reach a reminder without waiting hours. Never set it in production."""

Clock = Callable[[], dt.datetime]


def alerts_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock alerting uses: real UTC now, shifted by the test-only offset if set."""
    raw = (environ if environ is not None else os.environ).get(CLOCK_OFFSET_ENV, "")
    offset = dt.timedelta(seconds=float(raw)) if raw.strip() else dt.timedelta(0)
    return lambda: dt.datetime.now(dt.UTC) + offset


def lifecycle_policy(settings: AlertsSettings) -> LifecyclePolicy:
    """Flap damping per check kind and the error grace period, from `[alerts.lifecycle]`."""
    lc = settings.lifecycle
    return LifecyclePolicy(consecutive=dict(lc.consecutive), error_grace=lc.error_grace)


def routes(settings: AlertsSettings) -> list[Route]:
    """One route per configured channel, in config order."""
    return [
        Route(
            channel=c.name,
            min_severity=Severity(c.min_severity),
            environments=frozenset(c.environments),
            domains=frozenset(c.domains),
            repeat_interval=c.repeat_interval,
        )
        for c in settings.channels
    ]


def retry_policy(settings: AlertsSettings) -> RetryPolicy:
    """The outbox's backoff and Retry-After cap, from `[alerts.delivery]`."""
    d = settings.delivery
    return RetryPolicy(
        max_attempts=d.max_attempts,
        initial=d.backoff_initial.total_seconds(),
        cap=d.backoff_max.total_seconds(),
        max_retry_after=d.retry_after_cap.total_seconds(),
    )


def _secret(c: ChannelSettings, key: str, environ: Mapping[str, str]) -> str:
    return read_secret(getattr(c, key), key=f"channel {c.name}: {key}", environ=environ)


def _secret_url(c: ChannelSettings, key: str, environ: Mapping[str, str]) -> str:
    """A URL read from the environment, checked like a URL in the file; the problem names
    the variable, never the value (the URL is the secret)."""
    url = _secret(c, key, environ)
    try:
        return validate_http_url(url)
    except ValueError as exc:
        raise ConfigError([f"channel {c.name}: ${getattr(c, key)}: {exc}"]) from None


def _slack(
    c: SlackChannelSettings, environ: Mapping[str, str], session: requests.Session | None
) -> Channel:
    url = _secret_url(c, "webhook_url_env", environ)
    cls = CHANNELS["slack"]
    channel: Channel = cls(c.name, cls.Config(webhook_url=url, timeout=c.timeout), session)
    return channel


def _webhook(
    c: WebhookChannelSettings, environ: Mapping[str, str], session: requests.Session | None
) -> Channel:
    url = c.url or _secret_url(c, "url_env", environ)
    signing = _secret(c, "secret_env", environ)
    cls = CHANNELS["webhook"]
    try:
        channel: Channel = cls(
            c.name, cls.Config(url=url, signing_secret=signing, timeout=c.timeout), session
        )
    except ValueError as exc:
        raise ConfigError([f"channel {c.name}: ${c.secret_env}: {exc}"]) from None
    return channel


def _email(
    c: EmailChannelSettings, environ: Mapping[str, str], _session: requests.Session | None
) -> Channel:
    password = _secret(c, "password_env", environ) if c.password_env else None
    cls = CHANNELS["email"]
    config = cls.Config(
        host=c.host,
        port=c.smtp_port,
        sender=c.from_address,
        recipients=c.to,
        security=c.security,
        username=c.username,
        password=password,
        timeout=c.timeout,
        verify_certificate=c.verify_certificate,
        ca_file=c.ca_file,
    )
    channel: Channel = cls(c.name, config)
    return channel


class ChannelKind(NamedTuple):
    """How one channel kind is built: its settings model and the builder taking them."""

    settings: type[Section]
    build: Callable[[Any, Mapping[str, str], requests.Session | None], Channel]


CHANNEL_KINDS: dict[str, ChannelKind] = same_kinds(
    "alerts.channels.CHANNELS",
    CHANNELS,
    {
        "slack": ChannelKind(SlackChannelSettings, _slack),
        "webhook": ChannelKind(WebhookChannelSettings, _webhook),
        "email": ChannelKind(EmailChannelSettings, _email),
    },
)
"""kind → (settings model, builder); the keys are the registry's and the models the config's."""

if {k: v.settings for k, v in CHANNEL_KINDS.items()} != CHANNEL_SETTINGS:
    raise RuntimeError("monitor.wiring.alerts: CHANNEL_KINDS and the config's models disagree")


def build_channel(
    c: ChannelSettings,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> Channel:
    """One channel from its settings, secrets read from the environment.

    Raises:
        ConfigError: a named environment variable is missing or holds an unusable secret
            (the message names the variable, never its value).
    """
    return CHANNEL_KINDS[c.kind].build(c, os.environ if environ is None else environ, session)


def build_channels(
    settings: AlertsSettings,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> tuple[dict[str, Channel], list[str]]:
    """Every configured channel that can be built, and one problem line per one that cannot."""
    channels: dict[str, Channel] = {}
    problems: list[str] = []
    for c in settings.channels:
        try:
            channels[c.name] = build_channel(c, environ, session)
        except ConfigError as exc:
            problems.append(f"{'; '.join(exc.problems)}; its notifications stay queued")
    return channels, problems
