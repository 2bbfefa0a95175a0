"""Sending the weekly report through the durable outbox: to Slack, the signed webhook and
email over real loopback servers, and never twice for one week and channel."""

from __future__ import annotations

import base64
import email
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from monitor.app import App
from monitor.errors import UsageError
from monitor.services.report import send_weekly
from monitor.storage import Database
from tests.conftest import EditableDns
from tests.monitor.report import _seed
from tests.support.http_receiver import HttpReceiver
from tests.support.smtp_server import SmtpServer

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def servers() -> Iterator[tuple[HttpReceiver, SmtpServer]]:
    with HttpReceiver() as http, SmtpServer() as smtp:
        yield http, smtp


@pytest.fixture
def sending_app(
    database: Database,
    servers: tuple[HttpReceiver, SmtpServer],
    tmp_path: Path,
    dns_server: EditableDns,
) -> App:
    """A fresh seeded database (sending writes) with every channel pointed at loopback."""
    http, smtp = servers
    _seed.seed(database)
    settings = _seed.settings(
        "sqlite:///unused.db", tmp_path / "Maildir", smtp_port=smtp.port, dns=dns_server.address
    )
    environ = {"HOOK": http.url("/hook"), "SECRET": SECRET, "SLACK": http.url("/slack")}
    return App(
        settings,
        clock=lambda: _seed.AFTER,
        alerts_clock=lambda: _seed.AFTER,
        shared_database=database,
        environ=environ,
    )


def test_a_report_sent_twice_for_a_week_is_delivered_once(
    sending_app: App, servers: tuple[HttpReceiver, SmtpServer]
) -> None:
    """The second send (a re-run, the daemon after the CLI) queues nothing and sends nothing."""
    http, smtp = servers
    first = send_weekly(sending_app, "2026-W47", wait=20)
    assert sorted(name for name, _id in first.queued) == ["chat", "hook", "mail"]
    assert first.delivery is not None and first.delivery.sent == 3
    second = send_weekly(sending_app, "2026-W47", wait=20)
    assert (second.queued, sorted(second.already)) == ((), ["chat", "hook", "mail"])
    assert second.delivery is None
    assert len(http.requests) == 2 and len(smtp.messages) == 1
    third = send_weekly(sending_app, "2026-W46", channels=["hook"], wait=20)
    assert [name for name, _id in third.queued] == ["hook"]  # another week is another report


def test_each_channel_gets_its_form(
    sending_app: App, servers: tuple[HttpReceiver, SmtpServer]
) -> None:
    """Slack: headline and figures; webhook: the signed JSON document; email: HTML + text."""
    http, smtp = servers
    send_weekly(sending_app, "2026-W47", wait=20)
    by_path = {r.path: r for r in http.requests}
    slack = by_path["/slack"].json()
    assert slack["blocks"][0]["type"] == "header"
    assert "FAILING" in slack["blocks"][0]["text"]["text"]
    assert "DMARC" in json.dumps(slack["blocks"][1:])
    hook = by_path["/hook"]
    body = Webhook(SECRET).verify(hook.body, dict(hook.headers))
    assert (body["type"], body["version"]) == ("report.weekly", 1)
    report = body["data"]["report"]
    assert (report["type"], report["week"]) == ("senderwatch.weekly_report", "2026-W47")
    production = next(s for s in report["sections"] if s["environment"] == "production")
    assert production["canary"]["latency_p95"] == 27.0
    message = email.message_from_bytes(smtp.messages[0].data)
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.get_payload()]
    assert kinds == ["text/plain", "text/html"]
    assert message["Subject"].startswith("senderwatch weekly 2026-W47: FAILING")
    html = message.get_payload()[1].get_payload(decode=True).decode()
    assert "<svg" not in html and "data:" not in html


def test_send_needs_a_configured_channel(sending_app: App) -> None:
    """Naming a channel that does not exist is a usage error; nothing is queued."""
    with pytest.raises(UsageError, match="no channel named nope"):
        send_weekly(sending_app, "2026-W47", channels=["nope"])
