"""The canary over the transports production uses: submission with STARTTLS and AUTH,
implicit TLS, and IMAPS, each verified against the lab's CA, and a refused login."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks.base import CheckContext
from checks.canary.inbox import ImapInboxConfig
from checks.canary.roundtrip import CanaryConfig, CanaryRoundTrip
from checks.canary.senders import SmtpSendConfig
from checks.result import CheckResult, Status
from tests.support.mail_lab import MailLab

pytestmark = pytest.mark.e2e

MakeConfig = Callable[..., CanaryConfig]


def _run(config: CanaryConfig, ctx: CheckContext) -> CheckResult:
    with CanaryRoundTrip("production", config, ctx) as trip:
        result = trip.run()
        trip.acknowledge()
    return result


def _submission(
    lab: MailLab, password: str | None = None, *, implicit: bool = False
) -> SmtpSendConfig:
    endpoint = lab.smtps if implicit else lab.submission
    return SmtpSendConfig(
        host=endpoint.host,
        port=endpoint.port,
        security="tls" if implicit else "starttls",
        username=lab.smtp_username,
        password=lab.smtp_password if password is None else password,
        ca_file=str(lab.ca_file),
        timeout=5,
    )


def _imaps(lab: MailLab) -> ImapInboxConfig:
    box = lab.mailbox("canary")
    return ImapInboxConfig(
        host=lab.imaps.host,
        port=lab.imaps.port,
        security="tls",
        username=box.username,
        password=box.password,
        ca_file=str(lab.ca_file),
        poll_interval=0.5,
        timeout=5,
    )


def test_submission_with_starttls_auth_and_imaps_passes(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """The production shape (587 + STARTTLS + AUTH, IMAPS) with certificates verified."""
    result = _run(make_config(sender=_submission(in_lab), inbox=_imaps(in_lab)), lab_ctx)
    assert result.status is Status.PASS, result.findings


def test_implicit_tls_submission_passes(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """Port 465 (implicit TLS) is the other submission form relays offer."""
    result = _run(make_config(sender=_submission(in_lab, implicit=True)), lab_ctx)
    assert result.status is Status.PASS, result.findings


def test_refused_smtp_login_fails_at_the_auth_step_with_the_relays_reply(
    in_lab: MailLab, make_config: MakeConfig, lab_ctx: CheckContext
) -> None:
    """Wrong relay credentials are the sending path's fault: FAIL, naming AUTH and 535."""
    bad = "not-the-password-7c1"
    result = _run(make_config(sender=_submission(in_lab, password=bad)), lab_ctx)
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.code == "canary.send_refused"
    assert finding.details["step"] == "auth"
    assert finding.details["code"] == 535
    assert bad not in str(result.to_dict())  # never the password, anywhere
