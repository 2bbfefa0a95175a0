"""The HTTP (ESP API) sender against a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from checks.canary.message import CanaryMessage, new_canary
from checks.canary.senders import BodyTemplateError, HttpSendConfig, HttpSender, SendError
from tests.support.http_receiver import HttpReceiver, Reply
from tests.support.smtp_server import closed_port

FIXED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
SECRET = "Bearer sk-live-0123456789abcdef"
TEMPLATE = """{
  "from": {{ from | tojson }}, "to": [{{ to | tojson }}], "subject": {{ subject | tojson }},
  "text": {{ text | tojson }}, "html": {{ html | tojson }}, "headers": {{ headers | tojson }},
  "token": {{ token | tojson }}, "message_id": {{ message_id | tojson }}
}"""


def canary() -> CanaryMessage:
    return new_canary(
        "production",
        "canary@example.test",
        "seed@inbox.example.test",
        release="v1.4.0",
        list_unsubscribe="https://example.test/u/{token}",
    )


def sender(url: str, **overrides: object) -> HttpSender:
    settings: dict[str, object] = {
        "url": url,
        "body_template": TEMPLATE,
        "headers": {"X-Plain": "yes"},
        "secret_headers": {"Authorization": SECRET},
        "timeout": 5.0,
    }
    settings.update(overrides)
    return HttpSender(HttpSendConfig(**settings), clock=lambda: FIXED)  # type: ignore[arg-type]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as rx:
        yield rx


def test_accepted_send_posts_the_rendered_json_with_headers(receiver: HttpReceiver) -> None:
    """The ESP receives valid JSON with every placeholder filled and the secret header."""
    receiver.script(Reply(202, body="", headers={"X-Message-Id": "esp-42"}))
    msg = canary()
    receipt = sender(receiver.url("/v3/mail/send")).send(msg)
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == SECRET
    assert request.headers["x-plain"] == "yes"
    body = request.json()
    assert body["from"] == "canary@example.test"
    assert body["to"] == ["seed@inbox.example.test"]
    assert body["token"] == msg.token
    assert body["message_id"] == msg.message_id
    assert body["headers"]["X-Senderwatch-Canary"] == msg.token
    assert body["headers"]["X-Senderwatch-Release"] == "v1.4.0"
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["html"] == msg.html
    assert receipt.relay_reply == "HTTP 202 Accepted"
    assert receipt.provider_message_id == "esp-42"
    assert receipt.accepted_at == FIXED
    assert SECRET not in "\n".join(receipt.transport_log)


def test_provider_id_is_read_from_a_json_reply(receiver: HttpReceiver) -> None:
    """Postmark-style replies carry the ESP's id in the body; it is kept for support tickets."""
    receiver.script(Reply(200, body=json.dumps({"ErrorCode": 0, "MessageID": "pm-7"})))
    assert sender(receiver.url()).send(canary()).provider_message_id == "pm-7"


def test_put_method_is_honoured(receiver: HttpReceiver) -> None:
    """Some APIs take PUT; the configured method is the one used."""
    sender(receiver.url(), method="PUT").send(canary())
    assert receiver.requests[0].method == "PUT"


def test_unauthorised_is_permanent_and_the_echoed_secret_is_redacted(
    receiver: HttpReceiver,
) -> None:
    """A 401 that echoes the API key must not leak it into results, logs or alerts."""
    receiver.script(Reply(401, body=f'{{"error": "invalid key {SECRET}"}}'))
    with pytest.raises(SendError) as info:
        sender(receiver.url()).send(canary())
    err = info.value
    assert (err.step, err.code, err.retryable) == ("http", 401, False)
    assert "[redacted]" in err.text
    shown = str(err) + "\n".join(err.transport_log)
    assert SECRET not in shown
    assert "sk-live-0123456789abcdef" not in shown


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False)]
)
def test_failure_status_carries_the_retry_decision(
    receiver: HttpReceiver, status: int, retryable: bool
) -> None:
    """5xx and 429 are worth retrying; other 4xx are configuration problems."""
    receiver.script(Reply(status, body="upstream says no"))
    with pytest.raises(SendError) as info:
        sender(receiver.url()).send(canary())
    assert (info.value.code, info.value.retryable) == (status, retryable)
    assert info.value.text == "upstream says no"


def test_unexpected_success_status_is_a_failure(receiver: HttpReceiver) -> None:
    """Only the configured statuses mean accepted (SendGrid answers 202, not 200)."""
    receiver.script(Reply(200, body="ok"))
    with pytest.raises(SendError) as info:
        sender(receiver.url(), success_status=(202,)).send(canary())
    assert info.value.code == 200


def test_silent_api_times_out_as_retryable(receiver: HttpReceiver) -> None:
    """An API that never answers is a retryable http failure after the timeout."""
    receiver.script(Reply(hang=True))
    with pytest.raises(SendError) as info:
        sender(receiver.url(), timeout=0.3).send(canary())
    assert (info.value.step, info.value.code, info.value.retryable) == ("http", None, True)
    assert info.value.text == "no response within 0.3s"


def test_nothing_listening_is_a_connect_failure() -> None:
    """API host down: step connect with the OS reason."""
    with pytest.raises(SendError) as info:
        sender(f"http://127.0.0.1:{closed_port()}/send").send(canary())
    assert info.value.step == "connect"
    assert "refused" in info.value.text.lower()


def test_template_that_is_not_json_is_a_template_error(receiver: HttpReceiver) -> None:
    """A broken template is a config problem and nothing is sent."""
    with pytest.raises(BodyTemplateError) as info:
        sender(receiver.url(), body_template='{"subject": {{ subject }}}').send(canary())
    assert info.value.step == "template"
    assert "does not render to JSON" in info.value.text
    assert receiver.requests == []


def test_template_cannot_reach_python_internals() -> None:
    """The sandbox refuses attribute tricks, so a config file cannot run code."""
    hostile = '{"x": {{ headers.__class__.__mro__ | tojson }}}'
    with pytest.raises(BodyTemplateError):
        sender("http://127.0.0.1:9/", body_template=hostile).send(canary())
