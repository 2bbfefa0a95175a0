"""The outbox is continuous: a notification queued by a run is delivered at once, not on
the next poll (here an hour away), and the JSON log says so in one object a line: one line
per notification delivered, one per delivery round with its counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.alerts.conftest import new_whsec
from tests.daemon._process import DaemonProcess, daemon_config
from tests.support.http_receiver import HttpReceiver


def test_a_queued_notification_is_delivered_at_once_and_logged_as_json(
    tmp_path: Path, nameserver: str, start_daemon: Callable[..., DaemonProcess]
) -> None:
    """A failing domain fires an alert on the first cycle; the webhook gets it within
    seconds although `outbox_poll` is an hour; every log line is a JSON object."""
    with HttpReceiver() as receiver:
        channel = "\n".join(
            [
                "[[alerts.channels]]",
                'name = "pager"',
                'kind = "webhook"',
                f'url = "{receiver.url("/in")}"',
                'secret_env = "SW_SECRET"',
            ]
        )
        text = daemon_config(
            nameserver=nameserver,
            database=tmp_path / "sw.db",
            domains=("dmarc-missing.test",),
            every="1h",
            extra=channel,
        ).replace("[daemon]\n", '[daemon]\noutbox_poll = "1h"\n')
        config = tmp_path / "sw.toml"
        config.write_text(text, encoding="utf-8")
        daemon = start_daemon(config, env={"SW_SECRET": new_whsec()}, args=["--log-format", "json"])
        try:
            received = receiver.wait_for(1, timeout=20)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; daemon log:\n{daemon.log}") from None
        daemon.wait_log("outbox: ")
        assert daemon.stop() == 0
    assert received[0].json()["type"] == "alert.firing"
    assert received[0].json()["data"]["alert"]["domain"] == "dmarc-missing.test"
    lines = [json.loads(line) for line in daemon.log.splitlines() if line.strip()]
    messages = [doc["message"] for doc in lines]
    assert any(m.startswith("outbox: ") and " sent" in m for m in messages), messages
    delivered = [doc for doc in lines if "delivered to pager" in doc["message"]]
    ids = [doc["message"].split()[1] for doc in delivered]
    assert ids and len(ids) == len(set(ids)), messages  # one line per notification, by id
    assert all(doc["logger"] == "senderwatch.alerts.outbox" for doc in delivered)
    assert any(" dns: fail - " in m for m in messages), messages
    assert all({"time", "level", "logger", "message"} <= doc.keys() for doc in lines)
