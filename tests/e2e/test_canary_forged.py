"""Forged Authentication-Results: whatever the sender writes, the receiver's word decides.

Anyone can add `Authentication-Results: mx.lab-inbox.test; dkim=pass` to a message
(RFC 8601 §7.1). These tests add such headers at the sender and check that a forged pass never
produces a pass and a forged fail never produces a fail, against two real borders: the lab's
compliant one (OpenDKIM deletes headers claiming its authserv-id, RFC 8601 §5) and a lax one
that deletes nothing and whose OpenDMARC even believes the forgery.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable

import pytest

from checks.base import CheckContext, utcnow
from checks.canary.message import CanaryMessage
from checks.canary.roundtrip import CanaryConfig, CanaryRoundTrip
from checks.canary.senders import SendReceipt
from checks.result import CheckResult, Status
from tests.support.mail_lab import Endpoint, MailLab

pytestmark = pytest.mark.e2e

MakeConfig = Callable[..., CanaryConfig]


class ForgingSender:
    """A sender that writes extra header lines above the canary, as a forger would.

    It speaks real SMTP to a real server; only the message bytes are doctored.
    """

    def __init__(self, to: Endpoint, forged: list[str], source_ip: str | None = None) -> None:
        self.to = to
        self.forged = forged
        self.source = (source_ip, 0) if source_ip else None

    def send(self, message: CanaryMessage) -> SendReceipt:
        forged = "".join(f"{line}\r\n" for line in self.forged).encode()
        with smtplib.SMTP(
            self.to.host, self.to.port, timeout=10, source_address=self.source
        ) as smtp:
            smtp.ehlo("relay.lab-sender.test")
            smtp.sendmail(message.from_addr, [message.to_addr], forged + message.to_bytes())
            code, text = smtp.noop()
        return SendReceipt(message.message_id, utcnow(), f"{code} {text.decode()}")


def _run(config: CanaryConfig, ctx: CheckContext, sender: ForgingSender) -> CheckResult:
    with CanaryRoundTrip("staging", config, ctx, sender=sender) as trip:
        result = trip.run()
        trip.acknowledge()
    return result


def _ignored_values(result: CheckResult) -> list[str]:
    return [str(i["value"]) for i in result.evidence.get("ignored", [])]


def test_forged_fail_on_a_signed_canary_does_not_change_the_pass(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A sender (or a relay) cannot talk a good message into a failure."""
    forged = f"Authentication-Results: {in_lab.authserv_id}; spf=fail; dkim=fail; dmarc=fail"
    sender = ForgingSender(in_lab.relay, [forged])
    result = _run(make_config(), lab_ctx, sender)
    assert result.status is Status.PASS, result.findings
    assert result.observations["canary.dkim"] == "pass"


def test_forged_pass_on_an_unsigned_canary_does_not_pass(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """The headline rule: a forged pass on an unsigned message must never read as pass."""
    forged = (
        f"Authentication-Results: {in_lab.authserv_id}; spf=pass "
        f"smtp.mailfrom={in_lab.sending_domain}; dkim=pass header.d={in_lab.sending_domain} "
        f"header.s={in_lab.selector}; dmarc=pass header.from={in_lab.sending_domain}"
    )
    sender = ForgingSender(in_lab.shadow_relay, [forged])
    result = _run(make_config(), lab_ctx, sender)
    assert result.status is Status.FAIL
    assert result.observations["canary.dkim"] == "none"
    assert result.observations["canary.dmarc"] == "fail"


def test_pass_from_an_untrusted_authserv_id_is_ignored_and_reported(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """A header from someone we do not trust survives the border, and must still not count."""
    forged = (
        "Authentication-Results: mx.elsewhere.test; spf=pass; "
        f"dkim=pass header.d={in_lab.sending_domain}; dmarc=pass"
    )
    sender = ForgingSender(in_lab.shadow_relay, [forged])
    result = _run(make_config(), lab_ctx, sender)
    assert result.status is Status.FAIL
    assert result.observations["canary.dkim"] == "none"
    assert any("mx.elsewhere.test" in value for value in _ignored_values(result))


def test_forged_pass_through_a_lax_border_does_not_pass(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """Even when the receiver keeps the forgery (and its OpenDMARC believes it), we do not.

    The forger sends from the relay's own address (SPF passes) to the lax border, with a
    made-up DKIM-Signature and a trusted-looking Authentication-Results that vouches for it.
    """
    domain, selector = in_lab.sending_domain, in_lab.selector
    forged = [
        f"Authentication-Results: {in_lab.authserv_id}; dkim=pass header.d={domain} "
        f"header.s={selector} header.b=Zm9yZ2Vk; dmarc=pass header.from={domain}",
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector}; "
        "h=From:To:Subject; bh=Zm9yZ2VkYm9keWhhc2g=; b=Zm9yZ2Vkc2lnbmF0dXJl",
    ]
    sender = ForgingSender(in_lab.lax_receiver, forged, source_ip="127.0.0.10")
    result = _run(make_config(), lab_ctx, sender)
    assert result.observations["canary.spf"] == "pass"  # the one true statement
    assert result.observations["canary.dkim"] != "pass"
    assert result.status is not Status.PASS
    forged_value = forged[0].split(":", 1)[1].strip()
    assert any(value.strip() == forged_value for value in _ignored_values(result))
