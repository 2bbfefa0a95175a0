"""The daemon's scheduler: jobs from the config on APScheduler, their state for health checks.

The config is the only source of jobs (no APScheduler job store: it must not be shared
between processes, and our database already holds every run). Scheduled jobs run on a small
thread pool, at most one instance each, misfires coalesced within a grace time. The outbox
dispatcher and the post-release runner are `ServiceLoop`s woken by events.

`Daemon` implements `monitor.daemon.contracts.DaemonView` for the HTTP layer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import logging
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import App
from monitor.config import Settings
from monitor.config.crontab import cron_trigger
from monitor.config.daemon import JobSchedule
from monitor.daemon import jobs
from monitor.daemon.contracts import JobState
from monitor.daemon.memory import release_free_heap
from monitor.daemon.replicas import Fleet, aligned_trigger

__all__ = ["Daemon", "PlannedJob", "TakeNext", "default_take_next", "fire_times", "planned_jobs"]

log = logging.getLogger("senderwatch.daemon")

TakeNext = Callable[[App], bool]
"""Runs the next queued post-release run; False when the queue is empty."""


@dataclasses.dataclass(frozen=True, slots=True)
class PlannedJob:
    """One scheduled job: its name, what it runs, when (the config key it came from)."""

    name: str
    kind: str  # dns | canary | relay | late_canaries | reports | retention | weekly_report
    env: str | None
    schedule: JobSchedule

    @property
    def key(self) -> str:
        return f"daemon.jobs.{self.kind}"


def planned_jobs(settings: Settings) -> list[PlannedJob]:
    """The scheduled jobs this config asks for, in a stable order."""
    schedules = settings.daemon.jobs
    planned = []
    if settings.domains and schedules.dns.enabled:
        planned.append(PlannedJob("dns", "dns", None, schedules.dns))
    for name, env in settings.environments.items():
        if env.canary_configured and schedules.canary.enabled:
            planned.append(PlannedJob(f"canary.{name}", "canary", name, schedules.canary))
    for name, env in settings.environments.items():
        # `check --env E`: the relay probe, and blocklists and reverse DNS when enabled
        if (env.smtp is not None or settings.blocklists.enabled) and schedules.relay.enabled:
            planned.append(PlannedJob(f"relay.{name}", "relay", name, schedules.relay))
    for name, env in settings.environments.items():
        if env.canary_configured and schedules.late_canaries.enabled:
            job = PlannedJob(
                f"late_canaries.{name}", "late_canaries", name, schedules.late_canaries
            )
            planned.append(job)
        if env.reports is not None and schedules.reports.enabled:
            planned.append(PlannedJob(f"reports.{name}", "reports", name, schedules.reports))
    if settings.alerts.channels and schedules.weekly_report.enabled:  # nowhere to send: no job
        planned.append(PlannedJob("weekly_report", "weekly_report", None, schedules.weekly_report))
    if schedules.retention.enabled:
        planned.append(PlannedJob("retention", "retention", None, schedules.retention))
    return planned


def build_trigger(schedule: JobSchedule) -> BaseTrigger:
    """The APScheduler trigger of a (validated) schedule, jitter included."""
    jitter = int(schedule.jitter.total_seconds()) if schedule.jitter else None
    if schedule.every is not None:
        return IntervalTrigger(
            seconds=schedule.every.total_seconds(), timezone=schedule.timezone, jitter=jitter
        )
    assert schedule.cron is not None
    trigger = cron_trigger(schedule.cron, schedule.timezone)
    trigger.jitter = jitter
    return trigger


def fire_times(schedule: JobSchedule, now: dt.datetime, count: int = 3) -> list[dt.datetime]:
    """The next `count` fire times after `now` (without jitter: it moves each one by up to
    `jitter` later)."""
    trigger = build_trigger(schedule.model_copy(update={"jitter": None}))
    times: list[dt.datetime] = []
    previous: dt.datetime | None = None
    current = now
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, current)
        if fire is None:
            break
        times.append(fire)
        previous, current = fire, fire
    return times


def _interval_s(schedule: JobSchedule, now: dt.datetime) -> float:
    if schedule.every is not None:
        return schedule.every.total_seconds()
    first, second = fire_times(schedule, now, 2)
    return (second - first).total_seconds()


def default_take_next() -> TakeNext | None:
    """`monitor.services.post_release.execute_next` when that module exists, else None."""
    if importlib.util.find_spec("monitor.services.post_release") is None:
        return None

    def take_next(app: App) -> bool:
        from monitor.services import post_release  # type: ignore[attr-defined,unused-ignore]

        return bool(post_release.execute_next(app))

    return take_next


@dataclasses.dataclass
class _Track:
    interval_s: float | None = None
    last_started: dt.datetime | None = None
    last_success: dt.datetime | None = None
    last_error: str | None = None
    running: bool = False


class Daemon:
    """The running scheduler and loops of one `senderwatch run` (a `DaemonView`)."""

    def __init__(
        self,
        app: App,
        *,
        take_next: TakeNext | None = None,
        heartbeat: jobs.Heartbeat | None = None,
        workers: int = 4,
    ) -> None:
        self.app = app
        self.take_next = take_next
        self.heartbeat = heartbeat or jobs.Heartbeat(None)
        self.started_at = app.clock()
        self.fleet: Fleet | None = None  # on PostgreSQL: this replica's part in the fleet
        self.fleet_interrupted: list[int] = []  # own runs cut off at shutdown (fleet mode)
        self._tracks: dict[str, _Track] = {}
        self._active = 0  # jobs running now, including those a reload removed
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)}, timezone=dt.UTC
        )
        self._outbox = jobs.ServiceLoop(
            "outbox",
            lambda: self._tracked("outbox", self._deliver),
            lambda: _s(self.app.settings.daemon.outbox_poll),
        )
        self._runner = (
            None
            if take_next is None
            else jobs.ServiceLoop(
                "runner",
                lambda: self._tracked("runner", self._drain_runs),
                lambda: _s(self.app.settings.daemon.runner_poll),
            )
        )

    # -- DaemonView ------------------------------------------------------------------------

    def alive(self) -> bool:
        return bool(self._scheduler.running) and not self._stopping.is_set()

    def jobs(self) -> list[JobState]:
        next_runs = {job.id: job.next_run_time for job in self._scheduler.get_jobs()}
        with self._changed:
            return [
                JobState(
                    name=name,
                    interval_s=track.interval_s,
                    next_run=next_runs.get(name),
                    last_started=track.last_started,
                    last_success=track.last_success,
                    last_error=track.last_error,
                    running=track.running,
                )
                for name, track in sorted(self._tracks.items())
            ]

    @property
    def replica_id(self) -> str | None:
        """This replica's id in the fleet (PostgreSQL), else None."""
        return None if self.fleet is None else self.fleet.replica_id

    def wake_runner(self) -> None:
        if self._runner is not None:
            self._runner.wake()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Schedule the config's jobs (interval jobs fire once at once) and start the loops.

        The database is opened here, before any job thread exists: `App.database` opens on
        first use, and two jobs racing to that first use would open it twice."""
        database = self.app.database  # opened (and migrated) once, on this thread
        if database.engine.dialect.name == "postgresql":  # replicas may share it
            self.fleet = Fleet(
                self.app,
                submit=self._submit,
                heartbeat=self.heartbeat,
                enqueued=self.notify_enqueued,
                stopping=self._stopping,
            )
            self.fleet.start()
        self._schedule(self.app.settings, first_now=True)
        self._scheduler.start()
        with self._changed:
            self._tracks.setdefault("outbox", _Track())
            if self._runner is not None:
                self._tracks.setdefault("runner", _Track())
        self._outbox.start()
        if self._runner is not None:
            self._runner.start()

    def reload(self, settings: Settings) -> None:
        """Replace the jobs with those of `settings` (already validated by the caller)."""
        self.app.settings = settings
        self._scheduler.remove_all_jobs()
        self._schedule(settings, first_now=False)
        self._outbox.wake()

    def stop(self, timeout: float) -> bool:
        """Take no more work; wait up to `timeout` seconds for running jobs. True when all
        finished; on False the caller stores the cut-off runs `interrupted`
        (`monitor.services.runs.interrupt_unfinished`)."""
        self._stopping.set()
        if self.fleet is not None:
            self.fleet.sweeper.stop()
        self._scheduler.shutdown(wait=False)
        self._outbox.stop()
        if self._runner is not None:
            self._runner.stop()
        with self._changed:
            finished = self._changed.wait_for(self._idle, timeout)
        if self.fleet is not None:
            self.fleet_interrupted = self.fleet.stop()
        return finished

    def notify_enqueued(self) -> None:
        """A notification was queued: the outbox loop delivers it now."""
        self._outbox.wake()

    # -- internals -------------------------------------------------------------------------

    def _schedule(self, settings: Settings, *, first_now: bool) -> None:
        now = dt.datetime.now(dt.UTC)  # the scheduler's time, not the runs' (app.clock)
        planned = planned_jobs(settings)
        names = {job.name for job in planned} | {"outbox", "runner"}
        with self._changed:  # jobs the new config dropped leave the health view
            for name in [n for n in self._tracks if n not in names]:
                del self._tracks[name]  # a running one finishes; `_active` still counts it
        if self.fleet is not None:
            self.fleet.forget_jobs([job.name for job in planned])
        for job in planned:
            extra: dict[str, Any] = {}
            if first_now and job.schedule.every is not None:
                extra["next_run_time"] = now
            call = self._job_call(job)
            trigger = build_trigger(job.schedule)
            if self.fleet is not None:  # ticks aligned across replicas, claimed before run
                call, trigger = self.fleet.job_call(job, call), aligned_trigger(job.schedule)
            self._scheduler.add_job(
                self._tracked,
                trigger,
                args=[job.name, call],
                id=job.name,
                name=job.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(job.schedule.misfire_grace.total_seconds())),
                replace_existing=True,
                **extra,
            )
            with self._changed:
                track = self._tracks.setdefault(job.name, _Track())
                track.interval_s = _interval_s(job.schedule, now)

    def _submit(self, name: str, call: Callable[[], None]) -> None:
        """Run `call` now on the job pool, tracked as job `name` (a takeover, a cycle)."""
        if self._stopping.is_set():
            return
        self._scheduler.add_job(self._tracked, args=[name, call], misfire_grace_time=None)

    def _idle(self) -> bool:
        return self._active == 0

    def _job_call(self, job: PlannedJob) -> Callable[[], None]:
        """What firing `job` runs: one call into `jobs` (each kind's function, by name)."""
        app, notify, env = self.app, self.notify_enqueued, job.env or ""
        calls: dict[str, Callable[[], None]] = {
            "dns": lambda: jobs.dns_job(app, self.heartbeat, notify),
            "canary": lambda: jobs.canary_job(app, env, notify),
            "relay": lambda: jobs.relay_job(app, env, notify),
            "late_canaries": lambda: jobs.late_canaries_job(app, env),
            "reports": lambda: jobs.reports_job(app, env, notify),
            "weekly_report": lambda: jobs.weekly_report_job(app, notify),
            "retention": lambda: jobs.retention_job(app),
        }
        return calls[job.kind]

    def _tracked(self, name: str, call: Callable[[], None]) -> None:
        """Run one job, recording when it started, succeeded or failed (and why)."""
        if self._stopping.is_set():
            return
        with self._changed:
            track = self._tracks.setdefault(name, _Track())
            track.running, track.last_started = True, self.app.clock()
            self._active += 1
        error: str | None = None
        try:
            call()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("job %s failed: %s", name, error)  # noqa: TRY400 - one line; trace below
            log.debug("job %s traceback", name, exc_info=True)
        finally:
            with self._changed:
                track.running = False
                self._active -= 1
                idle = self._active == 0
                if error is None:
                    track.last_success, track.last_error = self.app.clock(), None
                else:
                    track.last_error = error
                self._changed.notify_all()
            if idle:
                release_free_heap()  # the cycle's garbage, back to the system

    def _deliver(self) -> None:
        """Deliver what is due (bounded by `alerts.delivery.wait`), log the counts."""
        if not self.app.settings.alerts.channels:
            return
        from monitor.services.alerts import deliver

        result = deliver(self.app)
        report = result.report
        if report.sent or report.retried or report.failed or report.dead or result.problems:
            log.info(
                "outbox: %d sent, %d retried, %d failed, %d dead, %d still queued",
                report.sent,
                report.retried,
                report.failed,
                report.dead,
                report.waiting,
            )

    def _drain_runs(self) -> None:
        """Take queued post-release runs one after another until the queue is empty."""
        assert self.take_next is not None
        while not self._stopping.is_set():
            if self.fleet is None:
                taken = self.take_next(self.app)
            else:  # its runs are this replica's own: stored interrupted if cut off
                with self.fleet.tracking_runs():
                    taken = self.take_next(self.app)
            if not taken:
                break

    def flush_outbox(self) -> None:
        """At shutdown: one last bounded delivery of what is queued."""
        try:
            self._deliver()
        except Exception as exc:
            log.error("outbox flush at shutdown failed: %s: %s", type(exc).__name__, exc)  # noqa: TRY400


def _s(value: dt.timedelta) -> float:
    return value.total_seconds()
