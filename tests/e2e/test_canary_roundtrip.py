"""The canary round trip against real mail software: every verdict the issue promises.

Each test sends a real canary through the lab (Postfix relay with OpenDKIM, a receiving
Postfix with SPF policy, OpenDKIM and OpenDMARC, Dovecot) and reads it back over IMAP, so a
pass here means a real receiver said pass, not that our parser agreed with itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks.base import CheckContext
from checks.canary.inbox import MaildirInboxConfig
from checks.canary.roundtrip import CanaryConfig, CanaryRoundTrip
from checks.result import CheckResult, Status
from tests.support.mail_lab import MailLab

pytestmark = pytest.mark.e2e

MakeConfig = Callable[..., CanaryConfig]


def _run(config: CanaryConfig, ctx: CheckContext, env: str = "staging") -> CheckResult:
    with CanaryRoundTrip(env, config, ctx) as trip:
        result = trip.run()
        trip.acknowledge()
    return result


def _token(result: CheckResult) -> str:
    return str(result.evidence["canary"]["token"])


def test_signed_canary_through_the_relay_passes(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """The promise of the product: a correctly set up environment reads as pass."""
    result = _run(make_config(), lab_ctx)
    assert result.status is Status.PASS, result.findings
    assert (result.check, result.kind, result.subject) == ("canary", "canary", "staging")
    assert result.observations["canary.delivered"] is True
    assert result.observations["canary.spf"] == "pass"
    assert result.observations["canary.dkim"] == "pass"
    assert result.observations["canary.dmarc"] == "pass"
    assert result.observations["canary.dkim_selector"] == in_lab.selector
    assert result.observations["canary.tls"] is True
    assert result.evidence["alignment"]["source"] == f"_dmarc.{in_lab.sending_domain} (domain)"
    assert result.evidence["latency"]["send_to_detection_s"] >= 0


def test_acknowledged_canary_is_gone_from_the_inbox(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """The inbox must not grow by one message per run, and only ours may be removed."""
    with CanaryRoundTrip("staging", make_config(), lab_ctx) as trip:
        result = trip.run()
        token = _token(result)
        assert any(token in f.read_text() for f in in_lab.maildir_files())
        assert trip.acknowledge() is True
    assert not any(token in f.read_text() for f in in_lab.maildir_files())


def test_unsigned_canary_from_an_unlisted_ip_fails_dkim_and_dmarc(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A sending path that skips signing (shadow IT) must read as dkim none, dmarc fail."""
    result = _run(make_config(relay=in_lab.shadow_relay), lab_ctx)
    assert result.status is Status.FAIL
    assert result.observations["canary.dkim"] == "none"
    assert result.observations["canary.dmarc"] == "fail"
    assert {"canary.dkim_none", "canary.dmarc_fail", "canary.spf_fail"} <= result.codes()
    spf = next(f for f in result.findings if f.code == "canary.spf_fail")
    assert spf.details["connecting_ip"] == "127.0.0.11"
    assert "ip4:127.0.0.10" in spf.message  # what would have had to match
    assert "DKIM-Signature" not in result.evidence["headers"]  # failure keeps all headers


def test_dkim_key_broken_in_dns_fails_dkim(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A key rotated in DNS but not on the relay is the classic silent DKIM outage."""
    with in_lab.dkim_key_broken():
        result = _run(make_config(), lab_ctx)
    assert result.status is Status.FAIL
    assert result.observations["canary.dkim"] == "fail"
    assert "canary.dkim_fail" in result.codes()
    assert result.observations["canary.spf"] == "pass"  # only DKIM broke


def test_relay_down_is_an_error_naming_the_connect_step(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A relay outage means "could not measure", never "authentication broke"."""
    with in_lab.relay_stopped():
        result = _run(make_config(), lab_ctx)
    assert result.status is Status.ERROR
    finding = result.findings[0]
    assert finding.code == "canary.send_failed"
    assert finding.details["step"] == "connect"
    assert "connect" in finding.message
    assert "127.0.0.10" in finding.message


def test_wrong_imap_password_is_an_error_and_nothing_is_sent(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A canary nobody can read proves nothing; better not to send it at all."""
    before = len(in_lab.maildir_files())
    with CanaryRoundTrip("staging", make_config(password="wrong"), lab_ctx) as trip:
        result = trip.run()
        assert trip.record is None
    assert result.status is Status.ERROR
    finding = result.findings[0]
    assert finding.code == "canary.inbox_error"
    assert finding.details["step"] == "login"
    assert "login" in finding.message
    assert "Authentication failed" in finding.message
    assert len(in_lab.maildir_files()) == before


def test_canary_that_never_arrives_fails_as_not_delivered(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """Accepted is not delivered: a silently dropped canary must fail after the timeout."""
    config = make_config(to_addr=in_lab.blackhole, timeout=2.0)
    with CanaryRoundTrip("staging", config, lab_ctx) as trip:
        result = trip.run()
        assert trip.acknowledge() is False  # nothing found, nothing touched
    assert result.status is Status.FAIL
    assert result.codes() == {"canary.not_delivered"}
    assert result.observations == {"canary.delivered": False}
    assert trip.record is not None
    assert trip.record.delivered is False


def test_polling_reader_finds_the_canary_without_idle(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """Servers without IDLE (or with it disabled) must still work, by polling."""
    result = _run(make_config(idle=False), lab_ctx)
    assert result.status is Status.PASS, result.findings


def test_maildir_reader_reads_the_receivers_local_delivery(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A receiver on the same machine can be read from its Maildir, with the same verdict."""
    box = in_lab.mailbox("staging")
    inbox = MaildirInboxConfig(path=str(box.maildir), poll_interval=0.2)
    result = _run(make_config(mailbox="staging", inbox=inbox), lab_ctx)
    assert result.status is Status.PASS, result.findings
    assert in_lab.maildir_files("staging") == []
