"""/healthz, /readyz and /metrics over real HTTP; the scrape validated by promtool."""

from __future__ import annotations

import shutil
import subprocess

import requests

from monitor.services import post_release
from tests.daemon_api.conftest import Api, job


def test_healthz_follows_the_scheduler(api: Api) -> None:
    """A stopped scheduler makes /healthz 503, so a supervisor restarts the process."""
    assert requests.get(f"{api.base}/healthz", timeout=10).json()["status"] == "ok"
    api.view.is_alive = False
    answer = requests.get(f"{api.base}/healthz", timeout=10)
    assert (answer.status_code, answer.json()["status"]) == (503, "down")


def test_readyz_names_the_job_without_a_recent_success(api: Api) -> None:
    """A job with no success within twice its interval makes the daemon not ready."""
    api.view.job_states = [
        job("dns", interval_s=60, success_age_s=30),
        job("outbox", interval_s=10, success_age_s=None),
    ]
    ready = requests.get(f"{api.base}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["database"] is True
    api.view.job_states = [job("dns", interval_s=60, success_age_s=121)]
    stale = requests.get(f"{api.base}/readyz", timeout=10)
    assert stale.status_code == 503
    assert stale.json()["problems"] == ["job dns: no success within twice its interval"]


def test_metrics_scrape_passes_promtool_and_shows_a_finished_run(api: Api) -> None:
    """A real scrape after a real DNS run is valid Prometheus text with the promised names."""
    api.view.job_states = [job("dns", interval_s=60, success_age_s=5)]
    requests.post(
        f"{api.base}/api/v1/runs",
        json={"environment": "production", "release": "v1", "checks": ["dns"]},
        headers=api.headers(),
        timeout=10,
    )
    assert post_release.execute_next(api.app)
    answer = requests.get(f"{api.base}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    for name in (
        "senderwatch_build_info{",
        'senderwatch_check_status{check="spf",domain="healthy.test",environment="production"',
        "senderwatch_check_duration_seconds{",
        "senderwatch_alerts_firing 0.0",
        "senderwatch_outbox_depth 0.0",
        "senderwatch_outbox_oldest_age_seconds 0.0",
        "senderwatch_post_release_runs_queued 0.0",
        'senderwatch_job_last_success_timestamp_seconds{job="dns"}',
        "# TYPE senderwatch_canary_delivery_seconds histogram",
    ):
        assert name in text, name
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: install the Debian package prometheus"
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_canary_latency_histogram_counts_stored_canaries_late_ones_included(api: Api) -> None:
    """Three canaries of production: 12 s, 45 s, and one found 900 s later by the late sweep;
    one never seen is not a latency. Buckets are cumulative, as Prometheus requires."""
    import datetime as dt

    from checks.canary.record import CanaryRecord
    from monitor.storage.canary_models import CanaryRepository

    sent = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with api.app.database.transaction() as session:
        canaries = CanaryRepository(session)
        for n, (delivered, seconds) in enumerate([(True, 12), (True, 45), (False, 900)]):
            arrived = sent + dt.timedelta(seconds=seconds)
            record = CanaryRecord(
                f"tok{n}", "production", f"<m{n}@t>", sent, None, delivered, arrived, arrived
            )
            canaries.add(record, run_id=None, result_id=None)
        lost = CanaryRecord("tok9", "production", "<m9@t>", sent, None, delivered=False)
        canaries.add(lost, run_id=None, result_id=None)
    text = requests.get(f"{api.base}/metrics", timeout=10).text
    series = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("senderwatch_canary_delivery_seconds")
    }
    bucket = 'senderwatch_canary_delivery_seconds_bucket{environment="production",le="%s"}'
    assert series[bucket % "10.0"] == 0
    assert series[bucket % "30.0"] == 1
    assert series[bucket % "60.0"] == 2
    assert series[bucket % "600.0"] == 2
    assert series[bucket % "+Inf"] == 3
    assert series['senderwatch_canary_delivery_seconds_count{environment="production"}'] == 3
    assert series['senderwatch_canary_delivery_seconds_sum{environment="production"}'] == 957
