"""`/metrics`: Prometheus families built at scrape time from the database and the jobs.

A custom collector on a registry of its own (one per server): nothing is counted in process
memory, so a restarted daemon reports the same values, several replicas agree, and tests
never share state through the global default registry. Names follow Prometheus conventions:
`senderwatch_` prefix, base units (`_seconds`), `_timestamp_seconds` for times.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CollectorRegistry,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from monitor.app import App
from monitor.daemon.contracts import DaemonView
from monitor.daemon.fleet_health import fleet_families
from monitor.storage.metrics_queries import MetricsSnapshot, snapshot

__all__ = ["LATENCY_BUCKETS", "SenderwatchCollector", "make_registry"]

STATUSES = ("pass", "warn", "fail", "error")
# Canary delivery is seconds to minutes; the buckets follow where a latency_warn would sit.
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class SenderwatchCollector(Collector):
    """Reads the database and the daemon's jobs on every scrape."""

    def __init__(self, app: App, view: DaemonView, clock: Callable[[], dt.datetime]) -> None:
        self.app = app
        self.view = view
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        with self.app.database.transaction() as session:
            snap = snapshot(session)
        yield _build_info()
        yield from _check_families(snap)
        yield _latency_histogram(snap)
        yield GaugeMetricFamily(
            "senderwatch_alerts_firing", "Alerts firing now.", value=snap.alerts_firing
        )
        yield GaugeMetricFamily(
            "senderwatch_outbox_depth",
            "Notifications waiting in the outbox.",
            value=snap.outbox_depth,
        )
        oldest = (
            0.0
            if snap.outbox_oldest is None
            else max(0.0, (self.clock() - snap.outbox_oldest).total_seconds())
        )
        yield GaugeMetricFamily(
            "senderwatch_outbox_oldest_age_seconds",
            "Age of the oldest undelivered notification (0 when the outbox is empty).",
            value=oldest,
        )
        yield GaugeMetricFamily(
            "senderwatch_post_release_runs_queued",
            "Post-release runs waiting for the runner.",
            value=snap.runs_queued,
        )
        yield from self._job_families()
        yield from fleet_families(self.app)

    def _job_families(self) -> Iterator[Metric]:
        success = GaugeMetricFamily(
            "senderwatch_job_last_success_timestamp_seconds",
            "When each scheduled job last succeeded (Unix time; absent before the first).",
            labels=["job"],
        )
        running = GaugeMetricFamily(
            "senderwatch_job_running", "1 while the job runs.", labels=["job"]
        )
        for job in self.view.jobs():
            if job.last_success is not None:
                success.add_metric([job.name], job.last_success.timestamp())
            running.add_metric([job.name], 1.0 if job.running else 0.0)
        yield success
        yield running


def _build_info() -> Metric:
    try:
        version = importlib.metadata.version("senderwatch")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    info = InfoMetricFamily("senderwatch_build", "The running senderwatch version.")
    info.add_metric([], {"version": version})
    return info


def _check_families(snap: MetricsSnapshot) -> Iterator[Metric]:
    labels = ["check", "domain", "environment"]
    status = GaugeMetricFamily(
        "senderwatch_check_status",
        "Latest result of each check: 1 for its status, 0 for the others.",
        labels=[*labels, "status"],
    )
    duration = GaugeMetricFamily(
        "senderwatch_check_duration_seconds", "Duration of each check's latest run.", labels=labels
    )
    last = GaugeMetricFamily(
        "senderwatch_check_last_run_timestamp_seconds",
        "When each check's latest result started (Unix time).",
        labels=labels,
    )
    for sample in snap.checks:
        key = [sample.check, sample.subject, sample.environment or ""]
        for name in STATUSES:
            status.add_metric([*key, name], 1.0 if sample.status == name else 0.0)
        duration.add_metric(key, sample.duration_s)
        last.add_metric(key, sample.started_at.timestamp())
    yield status
    yield duration
    yield last


def _latency_histogram(snap: MetricsSnapshot) -> Metric:
    histogram = HistogramMetricFamily(
        "senderwatch_canary_delivery_seconds",
        "Canary delivery latency (sent to received) of the stored canaries, late ones included.",
        labels=["environment"],
    )
    for environment, values in sorted(snap.canary_latencies.items()):
        buckets = [
            (str(bound), float(sum(v <= bound for v in values))) for bound in LATENCY_BUCKETS
        ]
        buckets.append(("+Inf", float(len(values))))
        histogram.add_metric([environment], buckets, sum_value=sum(values))
    return histogram


def make_registry(
    app: App, view: DaemonView, clock: Callable[[], dt.datetime]
) -> CollectorRegistry:
    """A registry of this server's own holding only the senderwatch collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SenderwatchCollector(app, view, clock))
    return registry
