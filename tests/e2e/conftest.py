"""Fixtures of the end-to-end canary tests: one real mail lab per test session.

The lab (tests/support/mail_lab.py) runs Knot, two Postfix instances, OpenDKIM, OpenDMARC,
the SPF policy daemon and Dovecot inside a network namespace of its own. Tests that talk to
it take `in_lab`, which moves the test's thread into that namespace for the test's duration
(sockets, threads and child processes opened there stay there). When a test fails, the tail
of every lab log is attached to its report, because a failed canary is rarely explained by
the assertion alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from checks.base import CheckContext
from checks.canary.inbox import ImapInboxConfig
from checks.canary.inspect import TrustPolicy
from checks.canary.roundtrip import CanaryConfig
from checks.canary.senders import SmtpSendConfig
from checks.dns.resolver import Resolver
from tests.support.mail_lab import Endpoint, MailLab


@pytest.fixture(scope="session")
def mail_lab() -> Iterator[MailLab]:
    """The running lab, shared by the session (tests that change it restore it)."""
    lab = MailLab()
    try:
        lab.start()
    except Exception as exc:
        raise RuntimeError(f"the mail lab did not start: {exc}\n{lab.log_tail()}") from exc
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def in_lab(mail_lab: MailLab) -> Iterator[MailLab]:
    """The lab, with this test's thread inside the lab's network namespace."""
    with mail_lab.ns.entered():
        yield mail_lab


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    lab = getattr(item, "funcargs", {}).get("mail_lab")
    if report.failed and isinstance(lab, MailLab):
        report.sections.append(("mail lab logs (tails)", lab.log_tail()))


@pytest.fixture
def lab_ctx(mail_lab: MailLab) -> CheckContext:
    """A check context whose resolver asks the lab's DNS server (inside the namespace)."""
    resolver = Resolver([f"{mail_lab.dns.host}:{mail_lab.dns.port}"], timeout=2.0, retries=1)
    return CheckContext(resolver=resolver)


def _canary_config(
    lab: MailLab,
    *,
    relay: Endpoint | None = None,
    mailbox: str = "canary",
    to_addr: str | None = None,
    password: str | None = None,
    timeout: float = 20.0,
    idle: bool = True,
    **overrides: Any,
) -> CanaryConfig:
    """A canary config pointed at the lab: plain SMTP to `relay`, plain IMAP to Dovecot."""
    relay = relay or lab.relay
    box = lab.mailbox(mailbox)
    values: dict[str, Any] = {
        "from_addr": f"canary@{lab.sending_domain}",
        "to_addr": to_addr or box.address,
        "sender": SmtpSendConfig(host=relay.host, port=relay.port, security="none", timeout=5),
        "inbox": ImapInboxConfig(
            host=lab.imap.host,
            port=lab.imap.port,
            security="none",
            username=box.username,
            password=box.password if password is None else password,
            idle=idle,
            poll_interval=0.5,
            timeout=5,
        ),
        "trust": TrustPolicy((lab.authserv_id,)),
        "dkim_selectors": (lab.selector,),
        "timeout": timeout,
    }
    values.update(overrides)
    return CanaryConfig(**values)


@pytest.fixture
def make_config(mail_lab: MailLab) -> Callable[..., CanaryConfig]:
    """Build a lab canary config; keyword overrides as in `_canary_config`."""
    return functools.partial(_canary_config, mail_lab)
