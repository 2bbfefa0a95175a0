"""Generic webhook: a versioned JSON payload, signed as the Standard Webhooks spec describes.

Headers on every request:
    webhook-id         the notification's id: stable across retries, the receiver's
                       idempotency key (drop a message whose id you already processed)
    webhook-timestamp  seconds since the epoch at this attempt (receivers reject stale ones)
    webhook-signature  `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
                       base64-decoded `whsec_...` secret

so receivers verify it with any Standard Webhooks library. The payload schema (version 2) is
documented in docs/alerts.md; a breaking change bumps `version`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import requests

from alerts.channels.base import (
    Redactor,
    attempt_timeout,
    classify_response,
    describe_config,
    dumps,
    post_json,
    redact_url,
    secret,
    secret_values,
)
from alerts.event import Notification, NotifyReason
from alerts.text import evidence_object

__all__ = ["PAYLOAD_VERSION", "WebhookChannel", "WebhookConfig", "build_payload", "sign"]

PAYLOAD_VERSION = 2  # 2: `evidence` is a JSON object (a text excerpt in 1)
_SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret


@dataclasses.dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str = secret()
    signing_secret: str = secret()
    timeout: float = 10.0


def _secret_key(signing_secret: str) -> bytes:
    raw = signing_secret.removeprefix(_SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "the signing secret must be whsec_ followed by base64 (as Standard Webhooks "
            "libraries generate it)"
        ) from None
    if len(key) < 16:
        raise ValueError("the signing secret is too short: use at least 16 random bytes")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one request."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


REPORT_PAYLOAD_VERSION = 1


def build_payload(notification: Notification) -> dict[str, Any]:
    """The versioned JSON body (schema in docs/alerts.md; the weekly report's in
    docs/weekly-report.md)."""
    if notification.reason is NotifyReason.REPORT:
        return {
            "type": "report.weekly",
            "version": REPORT_PAYLOAD_VERSION,
            "timestamp": notification.created_at.isoformat().replace("+00:00", "Z"),
            "data": {
                "notification_id": notification.id,
                "reason": notification.reason.value,
                "report": notification.alert["document"],
            },
        }
    alert = dict(notification.alert)
    alert["evidence"] = evidence_object(alert.get("evidence"))  # an object, even in old rows
    kind = {"resolved": "alert.resolved", "test": "alert.test"}.get(
        notification.reason.value, "alert.firing"
    )
    return {
        "type": kind,
        "version": PAYLOAD_VERSION,
        "timestamp": notification.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "notification_id": notification.id,
            "reason": notification.reason.value,
            "alert": alert,
        },
    }


class WebhookChannel:
    """POSTs signed JSON to one URL."""

    kind = "webhook"
    Config = WebhookConfig

    def __init__(
        self,
        name: str,
        config: WebhookConfig,
        session: requests.Session | None = None,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.config = config
        self._key = _secret_key(config.signing_secret)
        self._session = session or requests.Session()
        self._epoch = epoch
        self.redact = Redactor(secret_values(config))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, **describe_config(self.config)}

    def payload(self, notification: Notification) -> dict[str, Any]:
        return build_payload(notification)

    def deliver(self, notification: Notification, *, timeout: float | None = None) -> None:
        body = dumps(self.payload(notification))
        timestamp = int(self._epoch())
        headers = {
            "webhook-id": notification.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, notification.id, timestamp, body),
            "User-Agent": "senderwatch-webhook/1",
        }
        response = post_json(
            self._session,
            self.config.url,
            body,
            headers=headers,
            timeout=attempt_timeout(self.config.timeout, timeout),
            redact=self.redact,
        )
        classify_response(response, self.redact, f"webhook {redact_url(self.config.url)}")
