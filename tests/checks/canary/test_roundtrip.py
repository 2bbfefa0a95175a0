"""The round trip's own decisions, with stand-in sender and inbox (pure orchestration logic).

The real transports are exercised end to end in tests/e2e/; here the question is only what
the round trip concludes from each thing a transport can do, and what it leaves in the inbox.
The delivered message is a real one the lab's receiver stamped (tests/corpus).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import pytest

from checks.base import CheckContext
from checks.canary.inbox import ImapInboxConfig, InboxError, RawMessage
from checks.canary.inspect import TrustPolicy
from checks.canary.message import CanaryMessage
from checks.canary.roundtrip import CanaryConfig, CanaryRoundTrip
from checks.canary.senders import SendError, SendReceipt, SmtpSendConfig
from checks.dns.resolver import Resolver
from checks.result import Status

LAB_MESSAGE = (
    Path(__file__).parents[2] / "corpus" / "authresults" / "messages" / "lab-postfix-pass.eml"
)
RECEIVED = dt.datetime(2026, 11, 28, 1, 18, 44, tzinfo=dt.UTC)  # its Received timestamp


class FakeSender:
    """Accepts at `accepted_at` (one second before the receiver stamped it), or raises."""

    def __init__(
        self,
        error: SendError | None = None,
        accepted_at: dt.datetime = RECEIVED - dt.timedelta(seconds=1),
    ) -> None:
        self.error = error
        self.accepted_at = accepted_at
        self.sent: list[CanaryMessage] = []

    def send(self, message: CanaryMessage) -> SendReceipt:
        if self.error is not None:
            raise self.error
        self.sent.append(message)
        return SendReceipt(message.message_id, self.accepted_at, "250 ok")


class FakeInbox:
    """An inbox that holds `found` (or nothing) and can fail on entry or while waiting."""

    def __init__(
        self,
        found: RawMessage | None = None,
        enter_error: InboxError | None = None,
        wait_error: InboxError | None = None,
    ) -> None:
        self.found, self.enter_error, self.wait_error = found, enter_error, wait_error
        self.entered = self.exited = False
        self.deleted: list[str] = []

    def __enter__(self) -> FakeInbox:
        if self.enter_error is not None:
            raise self.enter_error
        self.entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.exited = True

    def find(self, token: str, since: dt.datetime) -> list[RawMessage]:
        return [self.found] if self.found else []

    def delete(self, ids: Iterable[str]) -> None:
        self.deleted.extend(ids)

    def wait_for(
        self, token: str, since: dt.datetime, timeout: float, poll_interval: float | None = None
    ) -> RawMessage | None:
        if self.wait_error is not None:
            raise self.wait_error
        return self.found


def _config(**overrides: object) -> CanaryConfig:
    values: dict[str, object] = {
        "from_addr": "canary@lab-sender.test",
        "to_addr": "canary@lab-inbox.test",
        "sender": SmtpSendConfig(host="relay.example.test", port=587),
        "inbox": ImapInboxConfig(host="imap.example.test", username="u", password="p"),
        "trust": TrustPolicy(("mx.lab-inbox.test",)),
        "dkim_selectors": ("s1",),
        "timeout": 5.0,
    }
    values.update(overrides)
    return CanaryConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def ctx(resolver: Resolver) -> CheckContext:
    """The shared test Knot serves lab-sender.test with its DMARC record."""
    return CheckContext(resolver=resolver, clock=lambda: RECEIVED + dt.timedelta(seconds=2))


def _delivered() -> RawMessage:
    return RawMessage("42", LAB_MESSAGE.read_bytes(), RECEIVED)


def test_receiver_stamped_pass_is_a_pass_and_is_removed_only_on_acknowledge(
    ctx: CheckContext,
) -> None:
    """Verdict first, deletion second: the inbox is untouched until the caller stored it."""
    inbox = FakeInbox(found=_delivered())
    with CanaryRoundTrip("staging", _config(), ctx, sender=FakeSender(), inbox=inbox) as trip:
        result = trip.run()
        assert result.status is Status.PASS, result.findings
        assert inbox.deleted == []
        assert trip.acknowledge() is True
        assert trip.acknowledge() is False  # once only
    assert inbox.deleted == ["42"]
    assert inbox.exited
    assert trip.record is not None
    assert trip.record.delivered is True
    assert trip.record.received_at == RECEIVED
    assert result.evidence["latency"]["send_to_receiver_s"] == 1.0
    assert result.evidence["latency"]["receiver_to_detection_s"] == 2.0


def test_relay_refusal_fails_and_names_step_code_and_relay(ctx: CheckContext) -> None:
    """A 5xx is the sending path saying no: a real failure of the environment."""
    sender = FakeSender(SendError("rcpt", 550, "5.7.1 Relay access denied", retryable=False))
    with CanaryRoundTrip("staging", _config(), ctx, sender=sender, inbox=FakeInbox()) as trip:
        result = trip.run()
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.code == "canary.send_refused"
    assert "relay.example.test:587" in finding.message
    assert "rcpt" in finding.message
    assert "550 5.7.1 Relay access denied" in finding.message
    assert trip.record is None


def test_unreachable_relay_is_an_error_not_a_failure(ctx: CheckContext) -> None:
    """Timeouts and refused connections say nothing about authentication."""
    sender = FakeSender(SendError("connect", None, "timed out after 30s", retryable=True))
    with CanaryRoundTrip("staging", _config(), ctx, sender=sender, inbox=FakeInbox()) as trip:
        result = trip.run()
    assert result.status is Status.ERROR
    assert result.codes() == {"canary.send_failed"}


def test_inbox_login_failure_stops_before_sending(ctx: CheckContext) -> None:
    """Never send a canary that cannot be read back."""
    sender = FakeSender()
    inbox = FakeInbox(
        enter_error=InboxError("login", "[AUTHENTICATIONFAILED] Authentication failed.")
    )
    with CanaryRoundTrip("staging", _config(), ctx, sender=sender, inbox=inbox) as trip:
        result = trip.run()
    assert result.status is Status.ERROR
    assert result.findings[0].details["step"] == "login"
    assert sender.sent == []
    assert not inbox.exited  # never entered, so never exited


def test_inbox_lost_while_waiting_is_an_error_with_the_canary_recorded(
    ctx: CheckContext,
) -> None:
    """The canary went out; the record must say so even though we could not look for it."""
    inbox = FakeInbox(wait_error=InboxError("connect", "connection dropped twice", True))
    with CanaryRoundTrip("staging", _config(), ctx, sender=FakeSender(), inbox=inbox) as trip:
        result = trip.run()
    assert result.status is Status.ERROR
    assert "while waiting" in result.findings[0].message
    assert trip.record is not None
    assert trip.record.delivered is False


def test_missing_canary_fails_and_nothing_is_deleted(ctx: CheckContext) -> None:
    """Not delivered is a failure; there is nothing to acknowledge."""
    inbox = FakeInbox(found=None)
    with CanaryRoundTrip("staging", _config(), ctx, sender=FakeSender(), inbox=inbox) as trip:
        result = trip.run()
        assert trip.acknowledge() is False
    assert result.status is Status.FAIL
    assert result.codes() == {"canary.not_delivered"}
    assert inbox.deleted == []


def test_delivery_slower_than_the_threshold_warns(resolver: Resolver) -> None:
    """Latency above the environment's threshold is a warning, with the measured value."""
    sent = RECEIVED - dt.timedelta(minutes=5)
    slow_ctx = CheckContext(resolver=resolver, clock=lambda: sent)
    sender = FakeSender(accepted_at=sent)
    inbox = FakeInbox(found=_delivered())
    config = _config(latency_warn=120.0)
    with CanaryRoundTrip("staging", config, slow_ctx, sender=sender, inbox=inbox) as trip:
        result = trip.run()
    assert result.status is Status.WARN
    (slow,) = [f for f in result.findings if f.code == "canary.slow"]
    assert slow.details["latency_s"] == 300.0
