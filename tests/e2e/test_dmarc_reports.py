"""DMARC reports end to end: report mails through the lab's Postfix into Dovecot, read from
the rua= mailbox over IMAP by the service and by a real `senderwatch run`.

Each mail is moved to `processed` or `invalid` only after its outcome is committed; the
database and the IMAP folders are checked, never the logs alone.
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from monitor.app import App
from monitor.config import parse_settings
from monitor.services import dmarc_reports as service
from tests.daemon._process import DaemonProcess, query, wait_for
from tests.support import dmarc_samples as s
from tests.support.mail_lab import MailLab

pytestmark = pytest.mark.e2e

PASSWORD_ENV = "LAB_DMARC_PASSWORD"  # the name of a variable, not a secret


def _config(lab: MailLab, database: Path, extra: str = "") -> str:
    box = lab.mailbox("dmarc")
    return f"""
[database]
url = {json.dumps(f"sqlite:///{database}")}
[dns]
nameservers = ["{lab.dns.host}:{lab.dns.port}"]
timeout = 1.0
retries = 0
[[domains]]
name = "reports-lab.test"
checks = ["dmarc"]
[reports]
reverse_dns = false
[environments.production]
domain = "reports-lab.test"
[environments.production.reports]
host = "{lab.imap.host}"
port = {lab.imap.port}
security = "none"
username = "{box.username}"
password_env = "{PASSWORD_ENV}"
timeout = 10
{extra}"""


def _deliver(lab: MailLab, *mails: bytes) -> None:
    """Hand each mail to the lab's receiving Postfix and wait until Dovecot stored them."""
    box = lab.mailbox("dmarc")
    before = len(lab.maildir_files("dmarc"))
    for mail in mails:
        lab.send_raw(mail, "noreply-dmarc-support@google.test", box.address)
    deadline = time.monotonic() + 30
    while len(lab.maildir_files("dmarc")) < before + len(mails):
        assert time.monotonic() < deadline, lab.log_tail()
        time.sleep(0.2)


def _folder_counts(lab: MailLab) -> dict[str, int]:
    box = lab.mailbox("dmarc")
    with lab.ns.entered(), IMAPClient(lab.imap.host, port=lab.imap.port, ssl=False) as client:
        client.login(box.username, box.password)
        counts = {}
        for folder in ("INBOX", "processed", "invalid"):
            if client.folder_exists(folder):
                client.select_folder(folder, readonly=True)
                counts[folder] = len(client.search(["ALL"]))
        return counts


@pytest.fixture
def emptied(in_lab: MailLab) -> Iterator[MailLab]:
    """The dmarc mailbox with nothing in any folder, before and after the test."""

    def clear() -> None:
        box = in_lab.mailbox("dmarc")
        with IMAPClient(in_lab.imap.host, port=in_lab.imap.port, ssl=False) as client:
            client.login(box.username, box.password)
            for folder in ("INBOX", "processed", "invalid"):
                if client.folder_exists(folder):
                    client.select_folder(folder)
                    uids = client.search(["ALL"])
                    if uids:
                        client.delete_messages(uids)
                        client.expunge()

    clear()
    yield in_lab
    clear()


def test_reports_mailed_as_gzip_and_zip_are_stored_and_filed(
    emptied: MailLab, tmp_path: Path
) -> None:
    """Microsoft-style gzip, Google-style zip (nested in a message/rfc822), TLS-RPT and a
    mail that is no report: three stored and moved to processed, one recorded and moved to
    invalid; a second run finds nothing and stores nothing twice."""
    lab = emptied
    _deliver(
        lab,
        s.report_mail(
            s.gz(s.microsoft()),
            "enterprise.protection.outlook.com!reports-lab.test!1767312000!1767398399.xml.gz",
        ),
        s.report_mail(
            s.zipped(s.google()),
            "google.com!reports-lab.test!1767225600!1767311999.zip",
            "application/zip",
            nested=True,
        ),
        s.report_mail(
            s.gz(s.tlsrpt()),
            "receiver.test!reports-lab.test!1767225600!1767311999!1.json.gz",
            "application/tlsrpt+gzip",
        ),
        s.report_mail(b"Out of office until Monday.", "note.txt", "text/plain"),
    )
    settings = parse_settings(tomllib.loads(_config(lab, tmp_path / "sw.db")))
    with App(settings, environ={PASSWORD_ENV: lab.mailbox("dmarc").password}) as app:
        first = service.ingest(app, env="production", alerts=False)
        second = service.ingest(app, env="production", alerts=False)
        figures = service.weekly_figures(app, service.parse_week("2026-W01", app.clock()))
    assert sorted(i.outcome for i in first.inputs) == ["rejected", "stored", "stored", "stored"]
    [rejected] = [i for i in first.inputs if i.outcome == "rejected"]
    assert rejected.code == "reports.no_report_in_mail"
    assert second.inputs == ()
    assert _folder_counts(lab) == {"INBOX": 0, "processed": 3, "invalid": 1}
    [domain] = figures.domains
    assert (domain.messages, domain.reports, domain.tls.failed) == (375, 2, 42)


def test_the_daemon_job_reads_the_mailbox_on_its_schedule(emptied: MailLab, tmp_path: Path) -> None:
    """`senderwatch run` with the reports job: the report is stored, its mail filed, and the
    spoofing source raises one alert (stored firing, its notification queued)."""
    lab = emptied
    yesterday = (int(time.time()) // 86400 - 1) * 86400
    report = s.shifted(s.google(), yesterday, yesterday + 86399)
    _deliver(lab, s.report_mail(s.zipped(report), "google.zip", "application/zip"))
    database = tmp_path / "sw.db"
    extra = """
[daemon.jobs.dns]
every = "1h"
enabled = false
[daemon.jobs.retention]
every = "1d"
enabled = false
[daemon.jobs.reports]
every = "1h"
"""
    config = tmp_path / "sw.toml"
    config.write_text(_config(lab, database, extra), encoding="utf-8")
    daemon = DaemonProcess(
        config, tmp_path / "daemon.log", env={PASSWORD_ENV: lab.mailbox("dmarc").password}
    )
    try:
        daemon.wait_log("reports.production: 1 inputs, 1 stored (1 reports)", timeout=60)
        rows = query(database, "SELECT org_name, domain, messages FROM dmarc_reports")
        assert rows == [("google.com", "reports-lab.test", 280)]
        alerts = query(database, "SELECT code, state FROM alert_states")
        wait_for(lambda: _folder_counts(lab).get("processed") == 1, 10, "the mail filed")
    finally:
        assert daemon.stop() == 0, daemon.log
    # no reverse DNS here: the spoofer is grouped by its IP
    assert ("reports.unauthorised_source:198.51.100.200", "firing") in alerts
