"""The `[daemon]` section: what `senderwatch run` schedules, and how it stops.

    [daemon]
    shutdown_timeout = "30s"     # running jobs get this long to finish on SIGTERM
    retain_days = 365            # results older than this are deleted (baselines, drift stay)
    heartbeat_url_env = "SENDERWATCH_HEARTBEAT_URL"   # optional dead man's switch

    [daemon.jobs.dns]
    every = "15m"                # or: cron = "*/15 * * * *", timezone = "Europe/Berlin"
    jitter = "30s"

The config is the only source of jobs: nothing about them is stored between restarts.
A cron expression is checked here, with APScheduler's own parser, so a typo is a config error
naming its key rather than a daemon that never fires.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from monitor.config._base import EnvName, Section, shorten
from monitor.config.durations import Duration

__all__ = ["JOB_NAMES", "DaemonSettings", "JobSchedule", "JobsSettings"]

JOB_NAMES = ("dns", "canary", "relay", "late_canaries", "retention", "reports", "weekly_report")


class JobSchedule(Section):
    """When one job fires: `every` (an interval) or `cron` (five fields, in `timezone`)."""

    every: Duration | None = None
    cron: str | None = None
    timezone: str = "UTC"
    jitter: Duration | None = None
    misfire_grace: Duration = dt.timedelta(minutes=5)
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from monitor.config.crontab import cron_trigger

        try:
            cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(
                f'not a cron expression ("minute hour day month weekday"): {exc}; '
                f'got "{shorten(value)}"'
            ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'not a time zone name such as "UTC" or "Europe/Berlin"; got "{shorten(value)}"'
            ) from None
        return value

    @field_validator("every")
    @classmethod
    def _positive(cls, value: dt.timedelta | None) -> dt.timedelta | None:
        if value is not None and value.total_seconds() < 1:
            raise ValueError("must be at least 1s")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> JobSchedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError('set exactly one of every = "15m" or cron = "*/15 * * * *"')
        return self


class JobsSettings(Section):
    """One schedule per kind of job. `canary` and `late_canaries` fire once per environment
    that has a canary, `relay` once per environment with an SMTP sending path."""

    dns: JobSchedule = JobSchedule(every=dt.timedelta(minutes=15))
    canary: JobSchedule = JobSchedule(every=dt.timedelta(hours=1))
    relay: JobSchedule = JobSchedule(every=dt.timedelta(hours=1))
    late_canaries: JobSchedule = JobSchedule(every=dt.timedelta(minutes=15))
    retention: JobSchedule = JobSchedule(cron="17 3 * * *")
    reports: JobSchedule = JobSchedule(every=dt.timedelta(hours=1))  # per rua= mailbox
    # The weekly sender-health report of the ISO week that just ended, to every channel
    # (monitor.services.report.send_weekly; once per week and channel).
    weekly_report: JobSchedule = JobSchedule(cron="0 7 * * mon")


class DaemonSettings(Section):
    """`senderwatch run`: schedules, shutdown bound, retention, heartbeat."""

    jobs: JobsSettings = JobsSettings()
    shutdown_timeout: Duration = dt.timedelta(seconds=30)
    retain_days: int = Field(default=365, ge=1)
    late_canary_window: Duration = dt.timedelta(days=1)
    retention_batch: int = Field(default=500, ge=1, le=100_000)
    outbox_poll: Duration = dt.timedelta(seconds=30)
    runner_poll: Duration = dt.timedelta(seconds=30)
    heartbeat_url_env: EnvName | None = None
    heartbeat_timeout: Duration = dt.timedelta(seconds=5)
    # Replicas on PostgreSQL (docs/scaling.md): how long a claimed tick or DNS batch stays
    # a replica's without a renewal (renewed every quarter of it), and domains per batch.
    lease: Duration = dt.timedelta(seconds=30)
    batch_size: int = Field(default=250, ge=1, le=100_000)

    @field_validator("lease")
    @classmethod
    def _lease_range(cls, value: dt.timedelta) -> dt.timedelta:
        if not 2 <= value.total_seconds() <= 3600:
            raise ValueError("must be between 2s and 1h")
        return value

    @field_validator("outbox_poll", "runner_poll", "heartbeat_timeout")
    @classmethod
    def _short_positive(cls, value: dt.timedelta) -> dt.timedelta:
        if not 0 < value.total_seconds() <= 3600:
            raise ValueError("must be between 1ms and 1h")
        return value
