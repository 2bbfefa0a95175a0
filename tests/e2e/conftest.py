"""Fixtures of the end-to-end canary tests: one real mail lab per test session.

The lab (tests/support/mail_lab.py) runs Knot, two Postfix instances, OpenDKIM, OpenDMARC,
the SPF policy daemon and Dovecot inside a network namespace of its own. Tests that talk to
it take `in_lab`, which moves the test's thread into that namespace for the test's duration
(sockets, threads and child processes opened there stay there). When a test fails, the tail
of every lab log is attached to its report, because a failed canary is rarely explained by
the assertion alone.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tests.support.mail_lab import MailLab


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
