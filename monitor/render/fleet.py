"""What `senderwatch status` prints: the replicas sharing the database and the jobs they hold."""

from __future__ import annotations

from typing import Any

from monitor.services.fleet import FleetStatus

__all__ = ["fleet_document", "render_fleet_text"]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.1f}h ago"


def render_fleet_text(fleet: FleetStatus) -> str:
    """Replicas (alive, stopped or silent) with their last heartbeat, then each job's
    newest tick: who claimed it and how long ago."""
    lines = [f"replicas ({sum(r.alive for r in fleet.replicas)} alive):"]
    if not fleet.replicas:
        lines.append("  none seen in the last day (is `senderwatch run` on PostgreSQL?)")
    for state in fleet.replicas:
        replica = state.replica
        word = "alive" if state.alive else ("stopped" if replica.stopped_at else "silent")
        holding = ", ".join(state.holding) or "-"
        lines.append(
            f"  {replica.id:<40} {word:<8} heartbeat {_age(state.heartbeat_age_s):<10} "
            f"holds {holding}"
        )
    lines.append("jobs:")
    if not fleet.jobs:
        lines.append("  no tick claimed yet")
    for job in fleet.jobs:
        word = f"{job.status}" if job.finished else "running"
        retry = f", attempt {job.attempts}" if job.attempts > 1 else ""
        lines.append(
            f"  {job.job:<20} {word:<8} tick {job.fire_time.isoformat(timespec='seconds')} "
            f"claimed by {job.replica} {_age(job.claimed_age_s)}{retry}"
        )
    return "\n".join(lines)


def fleet_document(fleet: FleetStatus) -> dict[str, Any]:
    """`senderwatch status --format json`."""
    return {
        "version": 1,
        "now": fleet.now.isoformat(),
        "replicas": [
            {
                "id": s.replica.id,
                "hostname": s.replica.hostname,
                "pid": s.replica.pid,
                "alive": s.alive,
                "started_at": s.replica.started_at.isoformat(),
                "heartbeat_at": s.replica.heartbeat_at.isoformat(),
                "heartbeat_age_s": round(s.heartbeat_age_s, 3),
                "stopped_at": s.replica.stopped_at.isoformat() if s.replica.stopped_at else None,
                "holds": list(s.holding),
            }
            for s in fleet.replicas
        ],
        "jobs": [
            {
                "job": j.job,
                "replica": j.replica,
                "fire_time": j.fire_time.isoformat(),
                "claimed_at": j.claimed_at.isoformat(),
                "claimed_age_s": round(j.claimed_age_s, 3),
                "finished": j.finished,
                "status": j.status,
                "attempts": j.attempts,
            }
            for j in fleet.jobs
        ],
    }
