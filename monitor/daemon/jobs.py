"""What each scheduled job does: one call into the services, one log line with counts.

Jobs never touch repositories or checks: they call the same services as the CLI, with
`trigger="daemon"` on every run they store. After each run the alert lifecycle is applied
without waiting for delivery (`wait=0`): delivering is the outbox loop's job, which the
`enqueued` callback wakes at once.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from monitor.app import App
from monitor.engine.check_run import CheckRunOutcome, RunStatus

if TYPE_CHECKING:
    import requests

__all__ = [
    "Heartbeat",
    "ServiceLoop",
    "apply_alerts",
    "canary_job",
    "dns_job",
    "late_canaries_job",
    "relay_job",
    "reports_job",
    "retention_job",
    "summarise",
    "weekly_report_job",
]

log = logging.getLogger("senderwatch.daemon")

Enqueued = Callable[[], None]


def summarise(job: str, outcome: CheckRunOutcome, alerts_queued: int) -> str:
    """The one log line of a run: id, job, verdict and counts (never a value or a secret)."""
    statuses = Counter(str(stored.result.status) for stored in outcome.results)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())) or "none"
    return (
        f"run {outcome.run_id} {job}: {outcome.status.value} - "
        f"{len(outcome.results)} results ({counts}), {len(outcome.drifts)} drifts, "
        f"{alerts_queued} notifications queued"
    )


def apply_alerts(app: App, outcome: CheckRunOutcome, enqueued: Enqueued) -> int:
    """The alert lifecycle on a stored run; delivery left to the outbox loop."""
    from monitor.services.checks import raise_alerts

    alerting = raise_alerts(app, outcome, wait=0)
    if alerting.enqueued:
        enqueued()
    return len(alerting.enqueued)


@dataclasses.dataclass
class Heartbeat:
    """A dead man's switch in the healthchecks.io convention: `URL/start` before a DNS
    cycle, `URL` after a good one, `URL/fail` after a failed one. A ping that fails is
    logged (without the URL, which is a secret) and never fails the cycle."""

    url: str | None
    timeout: float = 5.0
    session: requests.Session | None = None  # made at the first ping: most daemons have none

    def ping(self, suffix: str = "") -> None:
        if not self.url:
            return
        import requests

        if self.session is None:
            self.session = requests.Session()
        try:
            response = self.session.get(self.url.rstrip("/") + suffix, timeout=self.timeout)
            response.raise_for_status()
        except requests.RequestException as exc:
            status = getattr(exc.response, "status_code", None)
            detail = f"HTTP {status}" if status else type(exc).__name__
            log.warning("heartbeat ping %s failed: %s", suffix or "/", detail)


def dns_job(app: App, heartbeat: Heartbeat, enqueued: Enqueued) -> None:
    """All domains' DNS checks as one run. A run that measured nothing (`error`) or could
    not be stored pings `/fail`: the monitor itself is blind then."""
    from monitor.services.checks import run

    heartbeat.ping("/start")
    try:
        outcome = run(app, trigger="daemon", keep_evidence=True)
        queued = apply_alerts(app, outcome, enqueued)
    except Exception:
        heartbeat.ping("/fail")
        raise
    log.info("%s", summarise("dns", outcome, queued))
    heartbeat.ping("/fail" if outcome.status is RunStatus.ERROR else "")


def canary_job(app: App, env: str, enqueued: Enqueued) -> None:
    """Environment `env`'s canary, sent and judged as one run."""
    from monitor.services.canary import run

    canary = run(app, env, trigger="daemon")
    queued = apply_alerts(app, canary.outcome, enqueued)
    log.info("%s", summarise(f"canary.{env}", canary.outcome, queued))


def relay_job(app: App, env: str, enqueued: Enqueued) -> None:
    """`check --env env`: the environment domain's DNS checks plus its relay probe (SMTP
    reachability, STARTTLS, certificate, AUTH), so relay drift shows before a canary fails."""
    from monitor.services.checks import run

    outcome = run(app, env=env, trigger="daemon")
    queued = apply_alerts(app, outcome, enqueued)
    log.info("%s", summarise(f"relay.{env}", outcome, queued))


class InboxUnreadable(Exception):
    """The sweep could not search the inbox: the job failed (and /readyz will say so)."""


def late_canaries_job(app: App, env: str) -> None:
    """Environment `env`'s canaries that arrived after their run stopped waiting: one line
    each (slow, not lost), and one line of counts when there was anything to look for."""
    from monitor.services.canary import sweep_late

    sweep = sweep_late(app, env)
    for late in sweep.found:
        record = late.record
        release = f", release {record.release}" if record.release else ""
        log.warning(
            "canary %s (%s%s) arrived late: %.0f s after sending; its run had given up",
            record.token,
            env,
            release,
            late.delay_s,
        )
    if sweep.inbox_error is not None:
        raise InboxUnreadable(f"inbox of {env}: {sweep.inbox_error}")
    if sweep.looked_for:
        log.info(
            "late canaries %s: %d awaited, %d found late%s",
            env,
            sweep.looked_for,
            len(sweep.found),
            f"; not removed from the inbox: {sweep.removal_error}" if sweep.removal_error else "",
        )


def reports_job(app: App, env: str, enqueued: Enqueued) -> None:
    """Environment `env`'s rua= mailbox: store its reports, then the report alert rules."""
    from monitor.services.dmarc_reports import ingest

    result = ingest(app, env=env, deliver=False)
    queued = len(result.alerting.enqueued) if result.alerting else 0
    if queued:
        enqueued()
    log.info(
        "reports.%s: %d inputs, %d stored (%d reports), %d duplicate, %d rejected; "
        "%d notifications queued",
        env,
        len(result.inputs),
        result.count("stored"),
        result.reports,
        result.count("duplicate"),
        result.count("rejected"),
        queued,
    )


def weekly_report_job(app: App, enqueued: Enqueued) -> None:
    """The report of the ISO week that just ended, queued once per channel (a channel that
    already has this week's report is skipped: a restart or a second replica never sends it
    twice); the outbox loop delivers it."""
    from monitor.services.report import parse_week, send_weekly

    week = parse_week(None, app.clock())
    outcome = send_weekly(app, week, deliver=False)
    if outcome.queued:
        enqueued()
    parts = []
    if outcome.queued:
        parts.append(f"queued for {', '.join(name for name, _ in outcome.queued)}")
    if outcome.already:
        parts.append(f"already sent to {', '.join(outcome.already)}")
    log.info("weekly report %s: %s", week, "; ".join(parts))


def retention_job(app: App) -> None:
    """Delete results older than `daemon.retain_days`, in batches."""
    from monitor.services.retention import purge

    daemon = app.settings.daemon
    purged = purge(app, retain_days=daemon.retain_days, batch=daemon.retention_batch)
    log.info(
        "retention: %d results, %d job ticks, %d DMARC/TLS reports deleted (older than %d days,"
        " or repeated results)",
        purged.results,
        purged.ticks,
        purged.reports,
        daemon.retain_days,
    )


class ServiceLoop:
    """A continuous job on its own thread: `step()` runs when woken, or after `poll` seconds
    at the latest (retries coming due), until stopped. The outbox dispatcher and the
    post-release runner are such loops: they react to work at once, not on a tick."""

    def __init__(self, name: str, step: Callable[[], None], poll: Callable[[], float]) -> None:
        self.name, self.step, self.poll = name, step, poll
        self.wake_event = threading.Event()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"senderwatch-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self.wake_event.set()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self.step()
            self.wake_event.wait(self.poll())
            self.wake_event.clear()
