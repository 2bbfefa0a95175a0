"""Replicas on PostgreSQL: every tick runs once across the fleet; DNS cycles are split.

Every replica runs the same in-memory APScheduler schedule from the config (job stores are
never shared). Interval jobs are aligned to the Unix epoch, so every replica's fire times
agree; a fire's tick is its nominal (unjittered) fire time. When a job fires:

- canary, relay, retention: the replica INSERTs the (job, fire time) row; the one that
  inserted it runs the job, holding a lease renewed every quarter of `daemon.lease`; the
  others skip.
- dns: the replica that inserts the tick also queues the cycle's batches (same commit);
  every replica, winner or not, then claims batches with SKIP LOCKED until none is left.
  The replica finishing the last batch finishes the tick.

A sweeper loop beats the replica's heartbeat and takes over ticks whose lease ran out (their
replica died): the cut-off run is stored `interrupted` and the job is run again here (for a
DNS cycle: its unfinished batches are claimed again). See docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import App
from monitor.config.crontab import cron_trigger
from monitor.config.daemon import JobSchedule
from monitor.daemon import jobs
from monitor.engine.check_run import on_run_started
from monitor.engine.plan import CheckSpec
from monitor.engine.run_lease import LeaseRenewal
from monitor.services import fleet
from monitor.storage.fleet import Batch, Tick

if TYPE_CHECKING:
    from monitor.daemon.scheduler import PlannedJob

__all__ = ["EPOCH", "Fleet", "LeaseKeeper", "aligned_trigger", "nominal_fire_time"]

log = logging.getLogger("senderwatch.daemon")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
Submit = Callable[[str, Callable[[], None]], None]


def aligned_trigger(schedule: JobSchedule) -> BaseTrigger:
    """The job's trigger with interval fires on multiples of `every` since the epoch, so
    replicas started at different times fire the same ticks; cron is already absolute."""
    jitter = int(schedule.jitter.total_seconds()) if schedule.jitter else None
    if schedule.every is not None:
        return IntervalTrigger(
            seconds=schedule.every.total_seconds(),
            start_date=EPOCH,
            timezone=schedule.timezone,
            jitter=jitter,
        )
    assert schedule.cron is not None
    trigger = cron_trigger(schedule.cron, schedule.timezone)
    trigger.jitter = jitter
    return trigger


def nominal_fire_time(schedule: JobSchedule, now: dt.datetime) -> dt.datetime:
    """The latest unjittered fire time at or before `now`: the tick a fire belongs to (a
    jittered or slightly late fire still names its own tick)."""
    if schedule.every is not None:
        step = schedule.every.total_seconds()
        elapsed = (now - EPOCH).total_seconds()
        return EPOCH + dt.timedelta(seconds=(elapsed // step) * step)
    assert schedule.cron is not None
    trigger = cron_trigger(schedule.cron, schedule.timezone)
    span = dt.timedelta(days=1)
    while True:  # widen the look-back until a fire time falls in it (weekly, monthly cron)
        fire = trigger.get_next_fire_time(None, now - span)
        latest = None
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
        if latest is not None:
            return latest.astimezone(dt.UTC)
        span *= 4


class LeaseKeeper(LeaseRenewal):
    """Renews a held tick's (or batch's) lease every quarter lease until the block ends."""

    def __init__(
        self, app: App, replica_id: str, lease_s: float, tick_id: int, batch_id: int | None = None
    ) -> None:
        super().__init__(lease_s, f"lease-{tick_id}")
        self.app, self.replica_id = app, replica_id
        self.tick_id, self.batch_id = tick_id, batch_id

    def renew(self) -> None:
        try:
            fleet.renew(
                self.app,
                self.replica_id,
                self.lease_s,
                tick_id=self.tick_id,
                batch_id=self.batch_id,
            )
        except Exception as exc:  # a missed renewal only shortens the lease
            log.warning("lease renewal of tick %d failed: %s", self.tick_id, exc)


class Fleet:
    """This replica's part in the fleet: claiming wrappers for the jobs, and the sweeper."""

    def __init__(
        self,
        app: App,
        *,
        submit: Submit,
        heartbeat: jobs.Heartbeat,
        enqueued: Callable[[], None],
        stopping: threading.Event,
    ) -> None:
        self.app, self.submit, self.heartbeat = app, submit, heartbeat
        self.enqueued, self.stopping = enqueued, stopping
        self.replica_id = fleet.new_replica_id()
        self._jobs: dict[str, tuple[PlannedJob, Callable[[], None]]] = {}
        self._cycles: set[int] = set()
        self._own_runs: set[int] = set()
        self._lock = threading.Lock()
        self.sweeper = jobs.ServiceLoop(
            "sweeper", self._sweep_safely, lambda: min(2.0, self.lease_s / 4)
        )

    @property
    def lease_s(self) -> float:
        return self.app.settings.daemon.lease.total_seconds()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        fleet.register(self.app, self.replica_id)
        log.info("replica %s joined the fleet (lease %gs)", self.replica_id, self.lease_s)
        self.sweeper.start()

    def stop(self) -> list[int]:
        """Stop sweeping; store this replica's runs still going `interrupted` (never another
        replica's); mark the replica stopped. The runs' ids."""
        self.sweeper.stop()
        with self._lock:
            own = sorted(self._own_runs)
        interrupted = fleet.interrupt_runs(self.app, own)
        fleet.answer_cut_off_requests(self.app)
        try:
            fleet.retire(self.app, self.replica_id)
        except Exception as exc:
            log.warning("replica %s: could not record its stop: %s", self.replica_id, exc)
        return interrupted

    # -- scheduled jobs ------------------------------------------------------------------

    def job_call(self, job: PlannedJob, call: Callable[[], None]) -> Callable[[], None]:
        """The job as the scheduler runs it here: claim the tick first."""
        with self._lock:
            self._jobs[job.name] = (job, call)
        if job.kind == "dns":
            return lambda: self._dns_tick(job)
        return lambda: self._claimed(job, call)

    def forget_jobs(self, keep: Sequence[str]) -> None:
        with self._lock:
            for name in [n for n in self._jobs if n not in keep]:
                del self._jobs[name]

    def _claimed(self, job: PlannedJob, call: Callable[[], None]) -> None:
        fire = nominal_fire_time(job.schedule, dt.datetime.now(dt.UTC))
        tick = fleet.claim_tick(self.app, job.name, fire, self.replica_id, lease_s=self.lease_s)
        if tick is None:
            log.debug("tick %s of %s: claimed by another replica", fire.isoformat(), job.name)
            return
        self._run_tick(tick, call)

    @contextlib.contextmanager
    def tracking_runs(self) -> Iterator[None]:
        """Runs started in the block (post-release runs) count as this replica's own."""

        def started(run: fleet.RunRecord) -> None:
            with self._lock:
                self._own_runs.add(run.id)

        try:
            with on_run_started(started):
                yield
        finally:
            self._forget_own_runs()

    def _tracking(self, tick_id: int, batch_id: int | None = None) -> Callable[..., None]:
        def started(run: fleet.RunRecord) -> None:
            with self._lock:
                self._own_runs.add(run.id)
            fleet.link_run(self.app, run.id, tick_id=tick_id, batch_id=batch_id)

        return started

    def _run_tick(self, tick: Tick, call: Callable[[], None]) -> None:
        """Run a held tick's job under its lease; the tick records how it ended."""
        try:
            with (
                LeaseKeeper(self.app, self.replica_id, self.lease_s, tick.id),
                on_run_started(self._tracking(tick.id)),
            ):
                call()
        except Exception as exc:
            fleet.finish_tick(self.app, tick.id, error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            self._forget_own_runs()
        fleet.finish_tick(self.app, tick.id)

    def _forget_own_runs(self) -> None:
        """Runs of this thread are finished (or stored interrupted by their heartbeat)."""
        with self._lock:
            self._own_runs = set(fleet.unfinished(self.app, self._own_runs))

    # -- DNS cycles ----------------------------------------------------------------------

    def _dns_tick(self, job: PlannedJob) -> None:
        fire = nominal_fire_time(job.schedule, dt.datetime.now(dt.UTC))
        size = self.app.settings.daemon.batch_size
        names = [domain.name for domain in self.app.settings.domains]
        batches = [names[i : i + size] for i in range(0, len(names), size)]
        tick = fleet.claim_tick(
            self.app, job.name, fire, self.replica_id, lease_s=self.lease_s, batches=batches
        )
        if tick is not None:
            log.info("dns tick %d (%s): claimed, %d batches", tick.id, fire, len(batches))
            self.heartbeat.ping("/start")
        else:
            tick = fleet.find_tick(self.app, job.name, fire)
            if tick is None or tick.finished_at is not None:
                return
            log.info("dns tick %d (%s): joining (claimed by %s)", tick.id, fire, tick.replica)
        self.work_cycle(tick.id)

    def work_cycle(self, tick_id: int) -> None:
        """Claim and run this cycle's batches until none is left (at most one worker per
        cycle in this replica, so its concurrency stays `dns.concurrency`)."""
        with self._lock:
            if tick_id in self._cycles:
                return
            self._cycles.add(tick_id)
        try:
            index: dict[str, list[CheckSpec]] | None = None
            while not self.stopping.is_set():
                batch = fleet.next_batch(self.app, tick_id, self.replica_id, lease_s=self.lease_s)
                if batch is None:
                    break
                if batch.cut_off_run is not None:
                    log.warning(
                        "dns tick %d: took over batch %d; its cut-off run %d stored interrupted",
                        tick_id,
                        batch.seq + 1,
                        batch.cut_off_run,
                    )
                index = index if index is not None else fleet.specs_by_subject(self.app)
                specs = [spec for name in batch.subjects for spec in index.get(name, ())]
                status = self._run_batch(batch, specs)
                self._settled(fleet.finish_batch(self.app, batch, self.replica_id, status))
            if not self.stopping.is_set():
                self._settled(fleet.settle_cycle(self.app, tick_id))
        finally:
            with self._lock:
                self._cycles.discard(tick_id)

    def _run_batch(self, batch: Batch, specs: Sequence[CheckSpec]) -> str:
        from monitor.engine.runner import make_resolver

        resolver = make_resolver(self.app.settings.dns)
        try:
            with (
                LeaseKeeper(self.app, self.replica_id, self.lease_s, batch.tick_id, batch.id),
                on_run_started(self._tracking(batch.tick_id, batch.id)),
            ):
                outcome = fleet.run_batch(self.app, specs, resolver=resolver)
        except Exception:
            log.exception("dns tick %d batch %d failed", batch.tick_id, batch.seq + 1)
            return "error"
        finally:
            self._forget_own_runs()
        queued = jobs.apply_alerts(self.app, outcome, self.enqueued)
        log.info(
            "%s; %d DNS queries",
            jobs.summarise(f"dns[{batch.tick_id}.{batch.seq + 1}]", outcome, queued),
            resolver.queries_sent,
        )
        return outcome.status.value

    def _settled(self, tick: Tick | None) -> None:
        """This replica finished the cycle: log it and ping the heartbeat."""
        if tick is None:
            return
        seconds = ((tick.finished_at or tick.claimed_at) - tick.claimed_at).total_seconds()
        log.info("dns tick %d: cycle %s in %.1fs", tick.id, tick.status, seconds)
        self.heartbeat.ping("/fail" if tick.status != fleet.DONE else "")

    # -- the sweeper ---------------------------------------------------------------------

    def _sweep_safely(self) -> None:
        try:
            self.sweep()
        except Exception as exc:  # the database is away: try again next round
            log.warning("replica sweep failed: %s: %s", type(exc).__name__, exc)

    def sweep(self) -> None:
        """Heartbeat; store dead replicas' runs interrupted; take over their ticks; join DNS
        cycles that still have batches to claim."""
        fleet.beat(self.app, self.replica_id)
        fleet.mark_dead_runs(self.app)
        answered = fleet.answer_cut_off_requests(self.app)
        if answered:
            log.warning("post-release requests %s were cut off: answered interrupted", answered)
        while not self.stopping.is_set():
            taken = fleet.take_over(self.app, self.replica_id, lease_s=self.lease_s)
            if taken is None:
                break
            self._resume(taken)
        with self._lock:
            cycles = [job.name for job, _call in self._jobs.values() if job.kind == "dns"]
        for name in cycles:
            for tick_id in fleet.open_cycles(self.app, name):
                if not self.stopping.is_set() and tick_id not in self._cycles:
                    self.submit(name, self._cycle_call(tick_id))

    def _cycle_call(self, tick_id: int) -> Callable[[], None]:
        return lambda: self.work_cycle(tick_id)

    def _resume(self, taken: fleet.Takeover) -> None:
        tick = taken.tick
        log.warning(
            "took over tick %d of %s (%s) from replica %s%s",
            tick.id,
            tick.job,
            tick.fire_time.isoformat(),
            taken.previous_replica,
            f"; its run {taken.interrupted_run} stored interrupted"
            if taken.interrupted_run
            else "",
        )
        with self._lock:
            known = self._jobs.get(tick.job)
        if known is None:
            fleet.finish_tick(self.app, tick.id, error="the job is no longer configured")
            return
        job, call = known
        if job.kind == "dns":
            self.submit(job.name, lambda: self.work_cycle(tick.id))
        else:
            self.submit(job.name, lambda: self._run_tick(tick, call))
