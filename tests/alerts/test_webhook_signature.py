"""Webhook signatures as a receiver checks them, with the Standard Webhooks reference library.

If these pass, any receiver using a Standard Webhooks library (or the three-line check in
docs/alerts.md) accepts our messages and rejects forged or stale ones.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from alerts.channels import WebhookChannel, WebhookConfig
from alerts.event import Notification, NotifyReason
from tests.alerts.conftest import new_whsec
from tests.support.http_receiver import HttpReceiver

ALERT = {"key": "example.test/spf/spf.missing", "summary": "SPF record missing"}


def notification(notification_id: str = "msg_aaaabbbbccccdddd") -> Notification:
    return Notification(notification_id, "hook", NotifyReason.FIRST, ALERT, dt.datetime.now(dt.UTC))


def deliver(receiver: HttpReceiver, secret: str, epoch: float | None = None) -> None:
    channel = WebhookChannel(
        "hook",
        WebhookConfig(url=receiver.url("/in"), signing_secret=secret, timeout=5),
        epoch=(lambda: epoch) if epoch is not None else time.time,
    )
    channel.deliver(notification())


def test_receiver_library_verifies_our_signature(receiver: HttpReceiver) -> None:
    """The standardwebhooks library accepts the request exactly as it arrived."""
    secret = new_whsec()
    deliver(receiver, secret)
    [req] = receiver.requests
    payload = Webhook(secret).verify(req.body, dict(req.headers))
    assert payload["data"]["notification_id"] == req.headers["webhook-id"] == "msg_aaaabbbbccccdddd"
    assert payload["type"] == "alert.firing"


def test_receiver_rejects_a_tampered_body(receiver: HttpReceiver) -> None:
    """Changing one byte of the body breaks the signature."""
    secret = new_whsec()
    deliver(receiver, secret)
    [req] = receiver.requests
    forged = req.body.replace(b"SPF record missing", b"SPF record fine!!!")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(forged, dict(req.headers))


def test_receiver_rejects_a_signature_made_with_another_secret(receiver: HttpReceiver) -> None:
    """Only the holder of this channel's secret can produce a valid signature."""
    deliver(receiver, new_whsec())
    [req] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(new_whsec()).verify(req.body, dict(req.headers))


def test_receiver_rejects_a_stale_timestamp(receiver: HttpReceiver) -> None:
    """A captured request replayed an hour later is refused (tolerance is 5 minutes)."""
    secret = new_whsec()
    deliver(receiver, secret, epoch=time.time() - 3600)
    [req] = receiver.requests
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(req.body, dict(req.headers))


def test_a_secret_that_is_not_whsec_base64_is_refused_without_echoing_it() -> None:
    """A pasted secret with a typo fails at startup with advice, never printing the secret."""
    with pytest.raises(ValueError, match="whsec_") as err:
        WebhookChannel(
            "hook", WebhookConfig(url="http://127.0.0.1:9/x", signing_secret="whsec_!!nope!!")
        )
    assert "!!nope!!" not in str(err.value)
