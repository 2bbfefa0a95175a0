"""Send the canary through an ESP's HTTP send API, configured by a Jinja2 JSON body template.

Why a template rather than one class per ESP: every ESP's send API is "POST this JSON with that
header", and the JSON shapes differ only in names. A template lets a user point senderwatch at
any JSON API without code; `config.example.toml` ships ready ones (SendGrid, Postmark, Brevo).

Template context: `from`, `to`, `subject`, `text`, `html`, `token`, `message_id`, `headers`
(the canary's extra headers: token, release, List-Unsubscribe), `environment`, `release`,
`date`. Filter `tojson` quotes any value as JSON, so `{"subject": {{ subject | tojson }}}` is
always valid. The environment is sandboxed and undefined names are errors: a template cannot
reach Python objects, and a typo fails at `config validate`, not at 3 a.m.

Secrets (API keys in headers) arrive resolved in `secret_headers`; they are redacted from
every error text and log line, including a response body that echoes them back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import requests
from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from checks.base import Clock, utcnow
from checks.canary.message import CanaryMessage, new_canary
from checks.canary.senders.base import BodyTemplateError, SendError, SendReceipt

__all__ = ["HttpSendConfig", "HttpSender", "check_body_template", "render_body"]

_EXCERPT = 300  # characters of a failure response kept as the error text
_RETRYABLE_STATUS = {408, 425, 429}
_ID_KEYS = ("MessageID", "messageId", "message_id", "id")
_ID_HEADERS = ("X-Message-Id", "X-Message-ID")


@dataclasses.dataclass(frozen=True)
class HttpSendConfig:
    """An ESP send endpoint (built by `monitor.wiring.canary`).

    Attributes:
        url: the API endpoint.
        body_template: Jinja2 template that renders to the JSON request body.
        method: POST or PUT.
        headers: plain headers (Content-Type defaults to application/json).
        secret_headers: headers whose values are secrets (resolved from `headers_env`).
        timeout: seconds for connect and for the response.
        success_status: statuses that mean "accepted".
    """

    url: str
    body_template: str
    method: str = "POST"
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    secret_headers: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)
    timeout: float = 30.0
    success_status: tuple[int, ...] = (200, 201, 202)


def _tojson(value: Any) -> str:
    """JSON-quote a template value; an undefined name fails as undefined, not as a TypeError."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, ensure_ascii=False)


_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_ENV.filters["tojson"] = _tojson


def _context(message: CanaryMessage) -> dict[str, Any]:
    return {
        "from": message.from_addr,
        "to": message.to_addr,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "token": message.token,
        "message_id": message.message_id,
        "headers": message.extra_headers(),
        "environment": message.environment,
        "release": message.release,
        "date": message.date.isoformat(),
    }


def render_body(template: str, message: CanaryMessage) -> Any:
    """Render `template` for `message` and parse it as JSON.

    Returns:
        The parsed JSON document (the exact bytes sent are `json.dumps` of it).

    Raises:
        BodyTemplateError: template syntax error, undefined name, or output that is not JSON.
    """
    try:
        rendered = _ENV.from_string(template).render(_context(message))
    except (TemplateError, TypeError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise BodyTemplateError(f"body_template does not render{where}: {exc}") from None
    try:
        return json.loads(rendered)
    except json.JSONDecodeError as exc:
        excerpt = rendered[max(0, exc.pos - 40) : exc.pos + 40]
        raise BodyTemplateError(
            f"body_template does not render to JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}, near {excerpt!r}"
        ) from None


def check_body_template(template: str) -> None:
    """Render `template` once for a sample canary; config validation calls this at load.

    Raises:
        BodyTemplateError: as `render_body`.
    """
    sample = new_canary(
        "sample",
        "canary@example.test",
        "seed@example.test",
        release="v0",
        list_unsubscribe="https://example.test/unsubscribe/{token}",
        clock=lambda: dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )
    render_body(template, sample)


class HttpSender:
    """`send(message) -> SendReceipt` through an ESP's HTTP API."""

    kind = "http"
    Config = HttpSendConfig

    def __init__(
        self,
        config: HttpSendConfig,
        *,
        session: requests.Session | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.clock = clock

    def send(self, message: CanaryMessage) -> SendReceipt:
        """Render the body, send it, and map the response.

        Raises:
            BodyTemplateError: the template is broken (a config problem).
            SendError: step `connect`/`tls_handshake`/`certificate_verification` when no
                response came, else `http` with the status and a redacted body excerpt.
        """
        cfg = self.config
        body = json.dumps(render_body(cfg.body_template, message)).encode("utf-8")
        headers = {"Content-Type": "application/json", **cfg.headers, **cfg.secret_headers}
        log = [f">>> {cfg.method} {self._redact(cfg.url)} ({len(body)} bytes JSON)"]
        try:
            response = self.session.request(
                cfg.method, cfg.url, data=body, headers=headers, timeout=cfg.timeout
            )
        except requests.RequestException as exc:
            step, text = self._no_response(exc)
            log.append(f"!!! {step}: {text}")
            raise SendError(step, None, text, True, tuple(log)) from None
        excerpt = self._redact(" ".join(response.text[:_EXCERPT].split()))
        log.append(f"<<< {response.status_code} {response.reason} {excerpt}".rstrip())
        if response.status_code not in cfg.success_status:
            status = response.status_code
            retryable = status >= 500 or status in _RETRYABLE_STATUS
            raise SendError("http", status, excerpt or response.reason, retryable, tuple(log))
        return SendReceipt(
            message_id=message.message_id,
            accepted_at=self.clock(),
            relay_reply=f"HTTP {response.status_code} {response.reason}",
            transport_log=tuple(log),
            provider_message_id=_provider_id(response),
        )

    def _no_response(self, exc: requests.RequestException) -> tuple[str, str]:
        """(step, redacted reason) for a request that got no HTTP response."""
        if isinstance(exc, requests.exceptions.SSLError):
            reason = str(exc)
            verify = "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify" in reason
            step = "certificate_verification" if verify else "tls_handshake"
            return step, self._redact(reason)
        if isinstance(exc, requests.ConnectTimeout):
            return "connect", f"connect timed out after {self.config.timeout:g}s"
        if isinstance(exc, requests.Timeout):
            return "http", f"no response within {self.config.timeout:g}s"
        if isinstance(exc, requests.ConnectionError):
            return "connect", self._redact(_root_reason(exc))
        return "http", self._redact(str(exc))

    def _redact(self, text: str) -> str:
        for value in self.config.secret_headers.values():
            for secret in _secret_forms(value):
                text = text.replace(secret, "[redacted]")
        return text


def _secret_forms(value: str) -> list[str]:
    """The header value and its credential part (`Bearer KEY` → `KEY`), longest first."""
    forms = {value.strip()}
    scheme, _, credential = value.strip().partition(" ")
    if credential and scheme.lower() in {"bearer", "basic", "token", "key"}:
        forms.add(credential.strip())
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def _root_reason(exc: BaseException) -> str:
    """The innermost cause's message (`Connection refused`), not urllib3's pool prose."""
    innermost = exc
    cause: BaseException | None = exc
    while cause is not None:
        innermost = cause
        cause = cause.__cause__ or cause.__context__
    reason = getattr(innermost, "strerror", None) or str(innermost)
    return reason or type(innermost).__name__


def _provider_id(response: requests.Response) -> str | None:
    """The ESP's id for the message (Postmark `MessageID`, SendGrid `X-Message-Id`, ...)."""
    for name in _ID_HEADERS:
        if response.headers.get(name):
            return response.headers[name]
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in _ID_KEYS:
            if isinstance(data.get(key), str | int):
                return str(data[key])
        if isinstance(data.get("messageIds"), list) and data["messageIds"]:
            return str(data["messageIds"][0])
    return None
