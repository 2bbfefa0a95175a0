"""What the daemon's parts promise each other: the scheduler, the HTTP API and the CLI.

The scheduler (`monitor.daemon.scheduler`) owns the jobs; the HTTP layer
(`monitor.daemon.http`) only reads their state through `DaemonView` and hands post-release
runs over through the queue in `monitor.services.post_release`, so neither imports the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Protocol

__all__ = ["DaemonView", "JobState"]


@dataclasses.dataclass(frozen=True, slots=True)
class JobState:
    """One scheduled job as health checks and metrics see it."""

    name: str  # "dns", "canary.production", "relay.production", "outbox", "sweep", "retention"
    interval_s: float | None  # the nominal period (cron: the gap between the next two fires)
    next_run: dt.datetime | None
    last_started: dt.datetime | None
    last_success: dt.datetime | None
    last_error: str | None
    running: bool


class DaemonView(Protocol):
    """What the HTTP layer may ask of the running daemon."""

    def alive(self) -> bool:
        """The scheduler thread is running and not shutting down."""

    def jobs(self) -> list[JobState]:
        """Every job's state, in a stable order."""

    def wake_runner(self) -> None:
        """A post-release run was queued: take it now, not on the next tick."""
