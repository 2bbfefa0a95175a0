"""kill -9 between the state change and the delivery, then a restart: nothing is lost, and the
receiver sees one idempotency key for the notification however often it arrives.

A real `senderwatch check` process commits the alert state and its outbox row, starts posting
to a receiver that holds the request open, and is killed with SIGKILL mid-send. A fresh
`senderwatch alerts deliver` process takes the row over once its lease expires.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from alerts.event import AlertState
from monitor.storage import open_database
from monitor.storage.alerts_models import AlertStateRow, NotificationRow
from tests.alerts.conftest import new_whsec
from tests.conftest import EditableDns
from tests.support.http_receiver import HttpReceiver, Reply

REPO = Path(__file__).resolve().parents[2]
DOMAIN = "core-drift.test"


def senderwatch(*args: str | Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_killed_mid_delivery_is_delivered_after_restart_with_one_idempotency_key(
    editable_dns: EditableDns, receiver: HttpReceiver, tmp_path: Path
) -> None:
    """SIGKILL while sending: after restart the receiver has it, under a single webhook-id."""
    db_url = f"sqlite:///{tmp_path / 'sw.db'}"
    config = tmp_path / "senderwatch.toml"
    config.write_text(
        f"""
[database]
url = "{db_url}"
[dns]
nameservers = ["{editable_dns.address}"]
retries = 0
[[domains]]
name = "{DOMAIN}"
dkim_selectors = ["s1"]
checks = ["dmarc"]
[alerts.delivery]
lease = "1s"
wait = "20s"
[[alerts.channels]]
name = "pager"
kind = "webhook"
url = "{receiver.url("/in")}"
secret_env = "SW_WEBHOOK_SECRET"
timeout = 60
""",
        encoding="utf-8",
    )
    env = {**os.environ, "SW_WEBHOOK_SECRET": new_whsec()}
    code, _out, err = finish(senderwatch("check", "--config", config, env=env))
    assert code == 0, err

    editable_dns.edit(DOMAIN, "p=reject;", "p=none;")
    receiver.script(Reply(hang=True))  # the first delivery never gets an answer
    victim = senderwatch("check", "--config", config, env=env)
    receiver.wait_for(1)  # state committed, row claimed, request in flight
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    db = open_database(db_url)
    with db.transaction() as session:
        states = [r.state for r in session.scalars(select(AlertStateRow))]
        [row] = session.scalars(select(NotificationRow)).all()
        in_flight = (row.id, row.status)
    assert states == [AlertState.FIRING.value]
    assert in_flight[1] == "sending"

    code, out, err = finish(senderwatch("alerts", "deliver", "--config", config, env=env))
    assert code == 0, err
    assert out.startswith("1 sent"), out
    with db.transaction() as session:
        [row] = session.scalars(select(NotificationRow)).all()
        assert (row.id, row.status) == (in_flight[0], "sent")
    db.dispose()

    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == [in_flight[0], in_flight[0]]  # delivered twice, one idempotency key
    assert len({json.loads(r.body)["data"]["notification_id"] for r in receiver.requests}) == 1
