"""What every channel shares: the Channel protocol, the HTTP rule, secret redaction, templates.

The HTTP rule (`classify_response`) in one place: 2xx delivered; 408, 429 and 5xx retryable
(429 with the receiver's Retry-After); every other status permanent. Timeouts and connection
errors are retryable. A channel overrides the rule only for its service's quirks.

Errors never carry secrets: URLs are shown as scheme://host/*** and every secret value a
channel knows is masked in any text it lets out (`Redactor`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import logging
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import jinja2
import requests

from alerts.event import DeliveryError, Notification
from alerts.text import check_name, evidence_text, show_value

__all__ = [
    "Channel",
    "Redactor",
    "attempt_timeout",
    "classify_response",
    "describe_config",
    "parse_retry_after",
    "post_json",
    "redact_url",
    "render",
    "secret",
    "slack_escape",
]

MASK = "***"


class Channel(Protocol):
    """One configured destination. Renders and delivers one notification, nothing else."""

    name: str
    kind: str

    def deliver(self, notification: Notification, *, timeout: float | None = None) -> None:
        """Deliver or raise `DeliveryError` carrying the retry decision.

        `timeout`, when given, caps the channel's own timeout for this attempt (the
        dispatcher's deadline); it never lengthens it.
        """

    def describe(self) -> dict[str, Any]:
        """The configuration with secrets masked, for `alerts test` and logs."""

    def redact(self, text: str) -> str:
        """`text` with every secret this channel knows masked."""


def secret(default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field holding a secret: masked by `describe_config` and `Redactor`."""
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata={"secret": True})
    return dataclasses.field(default=default, metadata={"secret": True})


def secret_values(config: object) -> list[str]:
    return [
        str(getattr(config, f.name))
        for f in dataclasses.fields(config)  # type: ignore[arg-type]
        if f.metadata.get("secret") and getattr(config, f.name)
    ]


def describe_config(config: object) -> dict[str, Any]:
    """A channel config as a dict, secrets masked (URLs keep scheme and host)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):  # type: ignore[arg-type]
        value = getattr(config, f.name)
        if f.metadata.get("secret") and value:
            value = redact_url(value) if str(value).startswith("http") else MASK
        out[f.name] = value
    return out


def redact_url(url: str) -> str:
    """`https://hooks.example.test/services/T/B/x` → `https://hooks.example.test/***`.

    Webhook URLs are bearer secrets: the path is the token, so only scheme and host remain.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if not parts.scheme or not host:
        return MASK
    return f"{parts.scheme}://{host}/{MASK}"


class _TransportLogRedaction(logging.Filter):
    """Masks channel secrets in urllib3's own log lines.

    urllib3 logs every request line at DEBUG ("POST /services/T/B/token HTTP/1.1"), and a
    Slack webhook path is its token: with debug logging on, the transport would leak what
    our errors carefully mask. Every `Redactor` registers its secrets here.
    """

    def __init__(self) -> None:
        super().__init__()
        self.redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for redactor in list(self.redactors):
            text = redactor(text)
        record.msg, record.args = text, ()
        return True


_TRANSPORT_FILTER = _TransportLogRedaction()
logging.getLogger("urllib3.connectionpool").addFilter(_TRANSPORT_FILTER)


class Redactor:
    """Masks known secrets (and any URL that contains one) in free text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values: set[str] = set()
        for value in secrets:
            values.add(value)
            if value.startswith("http"):
                # transport errors quote the path alone ("... with url: /services/T/B/x")
                parts = urlsplit(value)
                values.update(p for p in (parts.path, parts.query) if len(p) > 1)
        self._secrets = sorted((v for v in values if len(v) >= 4), key=len, reverse=True)
        if self._secrets:
            _TRANSPORT_FILTER.redactors.add(self)

    def __call__(self, text: str) -> str:
        for value in self._secrets:
            if value.startswith("http"):
                text = text.replace(value, redact_url(value))
            text = text.replace(value, MASK)
        return _URL_PATH.sub(lambda m: redact_url(m.group(0)), text) if self._secrets else text


_URL_PATH = re.compile(r"https?://[^\s'\"<>]+/[^\s'\"<>]*")


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds from an HTTP Retry-After header (delta-seconds or HTTP-date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _excerpt(response: requests.Response, redact: Callable[[str], str]) -> str:
    text = " ".join((response.text or "").split())[:200]
    return f": {redact(text)}" if text else ""


def classify_response(
    response: requests.Response, redact: Callable[[str], str], where: str
) -> None:
    """Apply the HTTP rule to a receiver's answer.

    Raises:
        DeliveryError: not 2xx; retryable for 408, 429 and 5xx, permanent otherwise.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"{where} answered HTTP {status}{_excerpt(response, redact)}"
    if status == 429:
        after = parse_retry_after(response.headers.get("Retry-After"), dt.datetime.now(dt.UTC))
        raise DeliveryError(detail, retryable=True, retry_after=after)
    if status == 408 or status >= 500:
        raise DeliveryError(detail, retryable=True)
    raise DeliveryError(detail, retryable=False)


def attempt_timeout(configured: float, cap: float | None) -> float:
    """The timeout of one attempt: the channel's own, cut to the dispatcher's `cap`."""
    return configured if cap is None else max(0.001, min(configured, cap))


def post_json(
    session: requests.Session,
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    redact: Callable[[str], str],
) -> requests.Response:
    """POST a JSON body; transport failures become retryable `DeliveryError`s.

    Redirects are not followed: a webhook that redirects is misconfigured, and following
    it would send the payload (and its signature) somewhere nobody configured. A URL that
    cannot be requested at all is permanent: retrying it cannot help.
    """
    where = redact_url(url)
    try:
        return session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise DeliveryError(f"{where} did not answer within {timeout:g}s", retryable=True) from None
    except (
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidURL,
    ) as exc:
        raise DeliveryError(
            f"{where} is not a URL that can be requested ({type(exc).__name__}); "
            "fix the channel's url",
            retryable=False,
        ) from None
    except requests.RequestException as exc:
        reason = redact(str(exc))[:300]
        raise DeliveryError(
            f"could not reach {where} ({type(exc).__name__}: {reason})", retryable=True
        ) from None


def dumps(payload: Any) -> bytes:
    """Compact, stable JSON bytes (what is signed is exactly what is sent)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("alerts", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


def slack_escape(value: object) -> str:
    """Slack mrkdwn control characters (&, <, >) escaped, as Slack documents."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_HEADLINE_WORD = {"resolved": "RESOLVED", "reminder": "STILL FIRING", "test": "TEST"}


def headline(reason: str, alert: Mapping[str, Any]) -> str:
    """`FIRING [CRITICAL] summary`: the one line every channel leads with.

    A plain function (not a template macro) so that each template escapes its result the
    way its own format needs (HTML autoescape, Slack mrkdwn, nothing for subjects).
    """
    word = _HEADLINE_WORD.get(reason, "FIRING")
    return f"{word} [{str(alert.get('severity', '')).upper()}] {alert.get('summary', '')}"


_ENV.filters["slack"] = slack_escape
_ENV.filters["evidence"] = evidence_text
_ENV.filters["show"] = show_value
_ENV.filters["check_name"] = check_name
_ENV.globals["headline"] = headline


def render(template: str, notification: Notification) -> str:
    """Render `templates/<template>` for a notification (alert dict + reason in context)."""
    return (
        _ENV.get_template(template)
        .render(alert=notification.alert, reason=notification.reason.value, n=notification)
        .strip()
    )
