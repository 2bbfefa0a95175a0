"""Three `senderwatch run` replicas on one real PostgreSQL, as subprocesses: every tick runs
once, the DNS cycle is split, the replica doing the work is killed (SIGKILL) mid-cycle and
the others carry on; proved from the database and the webhook receiver."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from tests.alerts.conftest import new_whsec
from tests.daemon._process import REPO, DaemonProcess, wait_for
from tests.replicas.conftest import Sql, fleet_config
from tests.support.http_receiver import HttpReceiver
from tests.support.slow_dns import SlowDns

DOMAINS = (
    "healthy.test",
    "dmarc-none.test",
    "dmarc-missing.test",
    "mx-null.test",
    "spf-basic.test",
    "mx-missing.test",
    "dmarc-pct.test",
    "core-fail.test",
    "dmarc-testing.test",
    "chain-a.test",
    "dmarc-org.test",
    "spf-limits.test",
)
TOKEN = "fleet-test-token"
EVERY_S = 6


def _port(replica: DaemonProcess) -> int:
    replica.wait_log("HTTP on 127.0.0.1:", timeout=60)
    found = re.search(r"HTTP on 127\.0\.0\.1:(\d+)", replica.log)
    assert found is not None
    return int(found.group(1))


def _finished_dns_ticks(sql: Sql) -> list[tuple[Any, ...]]:
    return sql.rows(
        "SELECT id, fire_time, status, attempts FROM job_ticks"
        " WHERE job = 'dns' AND finished_at IS NOT NULL ORDER BY fire_time"
    )


def _holder_of_a_running_batch(sql: Sql) -> list[tuple[int, str]]:
    """The batch claimed last among those being checked now (the farthest from done)."""
    rows = sql.rows(
        "SELECT b.id, b.replica FROM cycle_batches b JOIN runs r ON r.id = b.run_id"
        " WHERE b.state = 'running' AND r.finished_at IS NULL ORDER BY b.claimed_at DESC LIMIT 1"
    )
    return [(int(row[0]), str(row[1])) for row in rows]


def test_three_replicas_run_each_tick_once_and_survive_a_kill_mid_cycle(
    tmp_path: Path,
    schema_url: str,
    slow_dns: SlowDns,
    sql: Sql,
    start_replica: Any,
) -> None:
    """Kill -9 a replica while it checks a batch: within one lease another takes the batch
    over (the cut-off run stored `interrupted`), every tick ran once with no gap, each domain
    is measured once per cycle, no baseline is duplicated and no alert is sent twice."""
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
        config = tmp_path / "fleet.toml"
        config.write_text(
            fleet_config(
                url=schema_url, nameserver=slow_dns.address, domains=DOMAINS, extra=channel
            ),
            encoding="utf-8",
        )
        env = {"SW_SECRET": new_whsec(), "SW_API_TOKEN": TOKEN}
        replicas = [start_replica(config, f"replica{i}", env) for i in range(3)]
        ports = [_port(r) for r in replicas]
        wait_for(lambda: len(sql.rows("SELECT id FROM replicas")) == 3, 30, "three replicas")
        wait_for(lambda: _finished_dns_ticks(sql), 60, "a first finished cycle")

        # Kill -9 the replica working on a batch, mid-cycle.
        held: list[tuple[int, str]] = []
        wait_for(lambda: held.extend(_holder_of_a_running_batch(sql)) or held, 30, "a batch")
        batch_id, holder = held[0]
        pid = sql.rows("SELECT pid FROM replicas WHERE id = :id", id=holder)[0][0]
        victim = next(r for r in replicas if r.proc.pid == pid)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        killed_at = dt.datetime.now(dt.UTC)
        survivors = [r for r in replicas if r is not victim]
        survivor_ports = [p for r, p in zip(replicas, ports, strict=True) if r is not victim]

        # Another replica takes the batch over (attempt 2) and finishes its cycle.
        wait_for(
            lambda: sql.rows(
                "SELECT 1 FROM cycle_batches WHERE id = :id AND state = 'done' AND attempts = 2",
                id=batch_id,
            ),
            30,
            "the killed replica's batch done by another",
        )
        taken_at = dt.datetime.now(dt.UTC)
        assert (taken_at - killed_at).total_seconds() < 3 + 2 + 10  # lease + sweep + the batch

        # A post-release run posted to one survivor is read from the other.
        headers = {"Authorization": f"Bearer {TOKEN}"}
        posted = requests.post(
            f"http://127.0.0.1:{survivor_ports[0]}/api/v1/runs",
            json={"environment": "production", "release": "v9", "checks": ["dns"]},
            headers=headers,
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
        read = requests.get(
            f"http://127.0.0.1:{survivor_ports[1]}{posted.json()['url']}?wait=60",
            headers=headers,
            timeout=70,
        ).json()
        assert read["state"] == "done" and read["status"] in {"pass", "warn"}, read

        # Two more full cycles after the takeover.
        done_before = len(_finished_dns_ticks(sql))
        wait_for(lambda: len(_finished_dns_ticks(sql)) >= done_before + 2, 60, "two more cycles")

        ready = requests.get(f"http://127.0.0.1:{survivor_ports[0]}/readyz", timeout=10).json()
        metrics = requests.get(f"http://127.0.0.1:{survivor_ports[1]}/metrics", timeout=10).text
        status = subprocess.run(
            [sys.executable, "-m", "monitor", "status", "--config", str(config)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for replica in survivors:
            assert replica.stop(timeout=30) == 0, replica.log
        sent = [r.json() for r in receiver.requests]

    # Health: which replica holds which job, how long since it was claimed.
    assert ready["replica"] and ready["replicas_alive"] == 2
    dns = next(job for job in ready["fleet"] if job["job"] == "dns")
    assert dns["replica"] and dns["claimed_age_s"] < 60
    assert 'senderwatch_job_claim_age_seconds{job="dns"}' in metrics
    assert "senderwatch_replicas_alive 2.0" in metrics
    assert status.returncode == 0, status.stderr
    assert f"{holder}" in status.stdout and "silent" in status.stdout
    assert status.stdout.count(" alive ") == 2, status.stdout

    # Every tick once: unique (job, fire time), no gap between the first and the last.
    ticks = sql.rows("SELECT fire_time, status FROM job_ticks WHERE job = 'dns' ORDER BY fire_time")
    times = [fire for fire, _status in ticks]
    assert len(times) == len(set(times))
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
    assert gaps == {float(EVERY_S)}, times
    finished = _finished_dns_ticks(sql)
    assert {row[2] for row in finished} == {"done"}
    assert len(finished) >= len(ticks) - 1  # the last may have been cut off by the stop

    # Each finished cycle measured every domain exactly once, in runs that completed.
    for tick_id, *_rest in finished:
        measured = Counter(
            subject
            for (subject,) in sql.rows(
                "SELECT res.subject FROM cycle_batches b JOIN results res ON res.run_id = b.run_id"
                " WHERE b.tick_id = :t",
                t=tick_id,
            )
        )
        assert measured == dict.fromkeys(DOMAINS, 3), (tick_id, measured)

    # The killed replica's run was stored interrupted; no run is left open.
    assert sql.rows("SELECT count(*) FROM runs WHERE status = 'interrupted'")[0][0] >= 1
    assert sql.rows("SELECT count(*) FROM runs WHERE finished_at IS NULL")[0][0] == 0

    # No baseline duplicated, no alert fired twice.
    dup_baselines = sql.rows(
        'SELECT "check", subject, environment FROM baselines WHERE automatic'
        ' GROUP BY "check", subject, environment HAVING count(*) > 1'
    )
    assert dup_baselines == []
    firsts = Counter(
        (doc["data"]["alert"]["key"], doc["data"]["alert"]["episode"])
        for doc in sent
        if doc["data"]["reason"] == "first"
    )
    assert firsts, "the failing domains fired alerts"
    assert max(firsts.values()) == 1, firsts
    assert sql.rows("SELECT count(*) FROM notifications WHERE reason = 'first'")[0][0] == sum(
        firsts.values()
    )
