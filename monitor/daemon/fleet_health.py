"""The fleet in `/readyz` and `/metrics`: which replica holds which job, claimed how long ago.

Read from the database on each request, so every replica answers the same about the fleet;
`replica` says which one answered. Empty lists on SQLite, where one daemon runs alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from monitor.app import App
from monitor.services import fleet

__all__ = ["fleet_families", "readyz_fleet"]


def readyz_fleet(app: App, view: Any) -> dict[str, Any]:
    """`replica` (this process, None outside a fleet) and `fleet`: each job's newest tick."""
    state = fleet.status(app)
    return {
        "replica": getattr(view, "replica_id", None),
        "fleet": [
            {
                "job": job.job,
                "replica": job.replica,
                "claimed_at": job.claimed_at.isoformat(),
                "claimed_age_s": round(job.claimed_age_s, 3),
                "running": not job.finished,
                "attempts": job.attempts,
            }
            for job in state.jobs
        ],
        "replicas_alive": sum(r.alive for r in state.replicas),
    }


def fleet_families(app: App) -> Iterator[Metric]:
    """Per job: who claimed its newest tick and how long ago; replicas alive."""
    state = fleet.status(app)
    holder = GaugeMetricFamily(
        "senderwatch_job_holder",
        "1 for the replica that claimed each job's newest tick.",
        labels=["job", "replica"],
    )
    age = GaugeMetricFamily(
        "senderwatch_job_claim_age_seconds",
        "Seconds since each job's newest tick was claimed (by any replica).",
        labels=["job"],
    )
    for job in state.jobs:
        holder.add_metric([job.job, job.replica], 1.0)
        age.add_metric([job.job], job.claimed_age_s)
    yield holder
    yield age
    yield GaugeMetricFamily(
        "senderwatch_replicas_alive",
        "Replicas whose heartbeat is within one lease.",
        value=sum(r.alive for r in state.replicas),
    )
