"""The contract every HTTP channel keeps, against a real HTTP server on loopback.

One table per behaviour, run for each channel kind: the retry decision per status code, no
secret in errors, logs or `describe()`, and a payload snapshot. A new channel joins by adding
a factory to `FACTORIES`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest

from alerts.channels import CHANNELS, SlackChannel, SlackConfig, WebhookChannel, WebhookConfig
from alerts.channels.base import Channel, dumps
from alerts.channels.email import EmailChannel, EmailConfig
from alerts.event import DeliveryError, Notification, NotifyReason
from tests.alerts.conftest import new_whsec
from tests.support.dns_server import free_port
from tests.support.http_receiver import HttpReceiver, Reply

SECRET_PATH = "/services/T0000/B0000/Zx9SecretTokenValue"
WHSEC = new_whsec()

ALERT: dict[str, Any] = {
    "key": "example.test/dmarc/dmarc.policy_weaker",
    "fingerprint": "0123456789abcdef",
    "state": "firing",
    "episode": 1,
    "severity": "critical",
    "summary": "DMARC policy of example.test weakened: p reject → none",
    "kind": "dns",
    "check": "dmarc",
    "code": "dmarc.policy_weaker",
    "domain": "example.test",
    "environment": "production",
    "labels": {"domain": "example.test", "environment": "production", "check": "dmarc"},
    "started_at": "2025-03-01T12:00:00Z",
    "resolved_at": None,
    "changes": [{"key": "dmarc.p", "before": "reject", "after": "none", "direction": "weakened"}],
    "evidence": {
        "record": "v=DMARC1; p=none; rua=mailto:d@example.test",
        "lookups": [{"name": "_dmarc.example.test", "rcode": "NOERROR"}],
        "organizational_domain": "example.test",
    },
}


def notification(reason: NotifyReason = NotifyReason.FIRST) -> Notification:
    return Notification(
        id="msg_0123456789abcdef0123456789abcdef",
        channel="ch",
        reason=reason,
        alert=ALERT,
        created_at=dt.datetime(2025, 3, 1, 12, 0, 5, tzinfo=dt.UTC),
    )


def slack(url: str, timeout: float) -> Channel:
    return SlackChannel("ch", SlackConfig(webhook_url=url, timeout=timeout))


def webhook(url: str, timeout: float) -> Channel:
    return WebhookChannel(
        "ch", WebhookConfig(url=url, signing_secret=WHSEC, timeout=timeout), epoch=lambda: 1e9
    )


FACTORIES: dict[str, Callable[[str, float], Channel]] = {"slack": slack, "webhook": webhook}


@pytest.fixture(params=sorted(FACTORIES))
def make(request: pytest.FixtureRequest) -> Callable[..., Channel]:
    factory = FACTORIES[request.param]
    return lambda url, timeout=5.0: factory(url, timeout)


def test_every_registered_http_channel_is_under_contract() -> None:
    """A channel added to CHANNELS without joining this contract fails here."""
    assert set(CHANNELS) - {"email"} == set(FACTORIES)


def test_2xx_is_delivered_once(make: Callable[..., Channel], receiver: HttpReceiver) -> None:
    """A 2xx answer means delivered: exactly one request, a JSON body."""
    make(receiver.url(SECRET_PATH)).deliver(notification())
    [req] = receiver.requests
    assert req.method == "POST"
    assert req.headers["content-type"] == "application/json"
    assert req.json()


RETRY_TABLE = [
    (400, False),
    (401, False),
    (403, False),
    (404, False),
    (408, True),
    (410, False),
    (422, False),
    (429, True),
    (500, True),
    (502, True),
    (503, True),
    (504, True),
]


@pytest.mark.parametrize(("status", "retryable"), RETRY_TABLE)
def test_retry_decision_per_status_code(
    make: Callable[..., Channel], receiver: HttpReceiver, status: int, retryable: bool
) -> None:
    """5xx, 408 and 429 are worth retrying; any other 4xx never will be."""
    receiver.script(Reply(status, body="nope"))
    with pytest.raises(DeliveryError) as err:
        make(receiver.url(SECRET_PATH)).deliver(notification())
    assert err.value.retryable is retryable
    assert str(status) in err.value.message


def test_429_carries_the_receivers_retry_after(
    make: Callable[..., Channel], receiver: HttpReceiver
) -> None:
    """Retry-After on 429 reaches the dispatcher, which waits at least that long."""
    receiver.script(Reply(429, headers={"Retry-After": "42"}))
    with pytest.raises(DeliveryError) as err:
        make(receiver.url(SECRET_PATH)).deliver(notification())
    assert (err.value.retryable, err.value.retry_after) == (True, 42.0)


def test_a_receiver_that_never_answers_is_a_retryable_timeout(
    make: Callable[..., Channel], receiver: HttpReceiver
) -> None:
    """A hung receiver costs one timeout, then the row goes back for a later retry."""
    receiver.script(Reply(hang=True))
    with pytest.raises(DeliveryError) as err:
        make(receiver.url(SECRET_PATH), 0.3).deliver(notification())
    assert err.value.retryable
    assert "did not answer within 0.3s" in err.value.message


def test_connection_refused_is_retryable(make: Callable[..., Channel]) -> None:
    """Nobody listening (receiver restarting) is transient."""
    with pytest.raises(DeliveryError) as err:
        make(f"http://127.0.0.1:{free_port()}{SECRET_PATH}").deliver(notification())
    assert err.value.retryable


def test_no_secret_in_errors_logs_or_description(
    make: Callable[..., Channel], receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Webhook URLs are bearer tokens: errors, logs and describe() show only scheme://host."""
    caplog.set_level(logging.DEBUG)
    secret_url = receiver.url(SECRET_PATH)
    channel = make(secret_url, 0.3)
    receiver.script(Reply(500, body=f"upstream failed for {secret_url}"), Reply(hang=True))
    messages = []
    for _ in range(2):
        with pytest.raises(DeliveryError) as err:
            channel.deliver(notification())
        messages.append(err.value.message)
    with pytest.raises(DeliveryError) as refused:
        make(f"http://127.0.0.1:{free_port()}{SECRET_PATH}").deliver(notification())
    messages.append(refused.value.message)
    shown = " ".join([*messages, str(channel.describe()), caplog.text])
    assert "Zx9SecretTokenValue" not in shown
    assert WHSEC.removeprefix("whsec_") not in shown
    assert f"127.0.0.1:{receiver.port}/***" in messages[0]


def test_slack_payload_snapshot() -> None:
    """The Block Kit message Slack receives for a firing alert (snapshot)."""
    payload = slack("http://127.0.0.1:9/x", 1).payload(notification())  # type: ignore[attr-defined]
    assert payload == {
        "text": "FIRING [CRITICAL] DMARC policy of example.test weakened: p reject → none",
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": "FIRING [CRITICAL] DMARC policy of example.test weakened: "
                    "p reject → none",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": ":red_circle: *Firing*: DMARC policy of example.test weakened: "
                    "p reject → none",
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Severity*\ncritical"},
                    {"type": "mrkdwn", "text": "*Environment*\nproduction"},
                    {"type": "mrkdwn", "text": "*Domain*\nexample.test"},
                    {"type": "mrkdwn", "text": "*Check*\nDMARC · `dmarc.policy_weaker`"},
                ],
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*What changed*\n`dmarc.p`: `reject` → `none` (weakened)",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Evidence*\n```record: v=DMARC1; p=none; rua=mailto:d@example.test\n"
                    'lookups: [{"name":"_dmarc.example.test","rcode":"NOERROR"}]\n'
                    "organizational_domain: example.test```",
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "`example.test/dmarc/dmarc.policy_weaker` · since "
                        "2025-03-01T12:00:00Z",
                    }
                ],
            },
        ],
    }


def test_slack_resolved_message_is_distinct_and_drops_the_evidence() -> None:
    """A glance tells a resolved message from a firing one."""
    resolved = dataclasses.replace(
        notification(NotifyReason.RESOLVED),
        alert={**ALERT, "state": "resolved", "resolved_at": "2025-03-01T13:00:00Z"},
    )
    payload = slack("http://127.0.0.1:9/x", 1).payload(resolved)  # type: ignore[attr-defined]
    texts = [str(b) for b in payload["blocks"]]
    assert payload["text"].startswith("RESOLVED ")
    assert ":white_check_mark: *Resolved*" in texts[1]
    assert not any("Evidence" in t for t in texts)


def test_slack_escapes_control_characters_from_records() -> None:
    """A TXT record holding `<!channel>` must not ping the whole Slack channel."""
    hostile = dataclasses.replace(notification(), alert={**ALERT, "summary": "bad <!channel> &"})
    payload = slack("http://127.0.0.1:9/x", 1).payload(hostile)  # type: ignore[attr-defined]
    assert "&lt;!channel&gt; &amp;" in payload["blocks"][1]["text"]["text"]


def test_webhook_payload_snapshot() -> None:
    """The versioned JSON body generic receivers parse (schema in docs/alerts.md)."""
    body = webhook("http://127.0.0.1:9/x", 1).payload(notification())  # type: ignore[attr-defined]
    assert body == {
        "type": "alert.firing",
        "version": 2,
        "timestamp": "2025-03-01T12:00:05Z",
        "data": {
            "notification_id": "msg_0123456789abcdef0123456789abcdef",
            "reason": "first",
            "alert": ALERT,
        },
    }


def test_slack_revoked_webhook_is_permanent_with_advice(receiver: HttpReceiver) -> None:
    """Slack's `invalid_token` / 404 means a revoked webhook: say so, never retry."""
    receiver.script(Reply(400, body="invalid_token"))
    with pytest.raises(DeliveryError) as err:
        slack(receiver.url(SECRET_PATH), 2).deliver(notification())
    assert not err.value.retryable
    assert "create a new incoming webhook" in err.value.message


def rendered_payloads(alert: dict[str, Any], reason: NotifyReason) -> dict[str, str]:
    """What each channel kind would put on the wire for one alert, as text."""
    n = dataclasses.replace(notification(reason), alert=alert)
    mail = EmailChannel(
        "ch", EmailConfig("127.0.0.1", 25, "sw@example.test", ("oncall@example.test",))
    ).message(n)
    return {
        "slack": dumps(slack("http://127.0.0.1:9/x", 1).payload(n)).decode(),  # type: ignore[attr-defined]
        "webhook": dumps(webhook("http://127.0.0.1:9/x", 1).payload(n)).decode(),  # type: ignore[attr-defined]
        "email text": mail.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
        "email html": mail.get_body(("html",)).get_content(),  # type: ignore[union-attr]
        "email subject": str(mail["Subject"]),
    }


@pytest.mark.parametrize("reason", [r for r in NotifyReason if r is not NotifyReason.REPORT])
def test_no_payload_carries_a_python_repr(reason: NotifyReason) -> None:
    """Evidence and changes read as JSON or plain text everywhere, never `{'record': ...}`."""
    alert = {
        **ALERT,
        "changes": [
            *ALERT["changes"],
            {"key": "dmarc.present", "before": True, "after": None, "direction": "removed"},
        ],
        "evidence": {**ALERT["evidence"], "nested": {"a": [1, {"b": "c"}]}, "flag": False},
    }
    for kind, text in rendered_payloads(alert, reason).items():
        assert "{'" not in text, kind
        assert "': '" not in text, kind
        assert "None" not in text and "True" not in text, kind


def test_slack_and_email_show_values_as_words_not_python() -> None:
    """A removed record reads `true → (absent)`: `none` is a DMARC policy, `None` is Python."""
    alert = {
        **ALERT,
        "changes": [
            {"key": "dmarc.present", "before": True, "after": None, "direction": "removed"}
        ],
    }
    shown = rendered_payloads(alert, NotifyReason.FIRST)
    assert "`dmarc.present`: `true` → `(absent)` (removed)" in shown["slack"]
    assert "dmarc.present: true -> (absent) (removed)" in shown["email text"]


def test_webhook_evidence_is_a_json_object_even_from_an_old_outbox_row() -> None:
    """Receivers parse one shape: rows queued before the change held evidence as text."""
    fresh = webhook("http://127.0.0.1:9/x", 1).payload(notification())  # type: ignore[attr-defined]
    assert fresh["data"]["alert"]["evidence"]["lookups"] == [
        {"name": "_dmarc.example.test", "rcode": "NOERROR"}
    ]
    old = dataclasses.replace(notification(), alert={**ALERT, "evidence": "record: v=DMARC1"})
    body = webhook("http://127.0.0.1:9/x", 1).payload(old)  # type: ignore[attr-defined]
    assert body["data"]["alert"]["evidence"] == {"excerpt": "record: v=DMARC1"}
    empty = dataclasses.replace(notification(), alert={**ALERT, "evidence": ""})
    assert webhook("http://127.0.0.1:9/x", 1).payload(empty)["data"]["alert"]["evidence"] == {}  # type: ignore[attr-defined]
