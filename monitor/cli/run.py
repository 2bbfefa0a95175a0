"""`senderwatch run`: the long-running daemon (docs/daemon.md).

    senderwatch run [--config PATH] [--log-format text|json] [--check-config]

Signals: SIGTERM/SIGINT stop it (running jobs get `daemon.shutdown_timeout`, runs cut off
are stored `interrupted`, the outbox gets one last bounded delivery, exit 0); SIGHUP
re-reads the config (a broken one is logged, problem by problem, and the old one keeps
running).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from monitor.cli._common import config_option, load_or_exit
from monitor.config import ConfigError, Settings, load_settings
from monitor.daemon import systemd

if TYPE_CHECKING:
    from monitor.daemon.jobs import Heartbeat

__all__ = ["run_command"]

log = logging.getLogger("senderwatch.daemon")


@click.command("run")
@config_option
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines for a terminal (text) or for a log collector (json, one object a line).",
)
@click.option(
    "--check-config",
    is_flag=True,
    help="Validate the config, print each job's next three fire times, and exit.",
)
def run_command(config_path: Path, log_format: str, check_config: bool) -> None:
    """Run the scheduled checks, canaries, alert delivery and retention until stopped.

    SIGTERM or Ctrl-C stops it cleanly (exit 0); SIGHUP re-reads the config.
    """
    settings = load_or_exit(config_path)
    heartbeat = _heartbeat(settings)
    if check_config:
        _print_fire_times(settings)
        return
    from monitor.daemon.logging import setup_logging

    setup_logging("json" if log_format == "json" else "text")
    sys.exit(_serve(config_path, settings, heartbeat))


def _print_fire_times(settings: Settings) -> None:
    from monitor.daemon.scheduler import fire_times, planned_jobs

    now = dt.datetime.now(dt.UTC)
    planned = planned_jobs(settings)
    if not planned:
        click.echo("no jobs: the config lists no domains, environments or retention")
    for job in planned:
        if job.schedule.every is not None:  # interval jobs also fire when the daemon starts
            upcoming = [now, *fire_times(job.schedule, now, 2)]
        else:
            upcoming = fire_times(job.schedule, now, 3)
        times = ", ".join(t.isoformat(timespec="seconds") for t in upcoming)
        jitter = f" (each up to {job.schedule.jitter} later: jitter)" if job.schedule.jitter else ""
        click.echo(f"{job.name} [{job.key}]: {times}{jitter}")
    click.echo(f"config ok: {len(planned)} jobs")


def _serve(config_path: Path, settings: Settings, heartbeat: Heartbeat) -> int:
    """Lock, build, run until a stop signal, shut down cleanly; the exit code."""
    from monitor.app import App
    from monitor.daemon.lock import DaemonLock
    from monitor.daemon.scheduler import Daemon, default_take_next

    lock = DaemonLock(settings.database.url)
    lock.acquire()
    app = App(settings, database_factory=_open_database)
    try:
        database = app.database  # open and migrate now: a broken database stops the start
        if database.engine.dialect.name != "postgresql":  # replicas: each answers its own
            _answer_orphaned_requests(app)
        daemon = Daemon(app, take_next=default_take_next(), heartbeat=heartbeat)
        signals = _Signals()
        daemon.start()
        try:
            server = _start_http(app, daemon)
        except BaseException:  # e.g. the port is taken: no jobs may outlive the failed start
            daemon.stop(0)
            raise
        log.info("senderwatch run: started (pid %d), %d jobs", os.getpid(), len(daemon.jobs()))
        systemd.ready()
        systemd.status(f"{len(daemon.jobs())} jobs scheduled")
        signals.wait_loop(
            lambda: _reload(config_path, app, daemon),
            # The watchdog is fed only while the scheduler lives: a dead scheduler gets the
            # process restarted by systemd instead of a monitor that silently stopped.
            tick=lambda: daemon.alive() and systemd.watchdog(),
        )
        systemd.stopping()
        log.info("senderwatch run: stopping")
        if server is not None:
            server.shutdown()
        finished = _shut_down(app, daemon)
    finally:
        app.close()
        lock.release()
    log.info("senderwatch run: stopped")
    if not finished:
        # Job threads cut off at the bound are still inside a check; their runs are already
        # stored `interrupted`. Do not wait for them at interpreter exit.
        logging.shutdown()
        os._exit(0)
    return 0


def _open_database(url: str) -> Any:
    """The database, saying where a new SQLite file was put in the daemon's log format."""
    from monitor.storage import open_database

    return open_database(
        url,
        isolated_migrations=True,  # Alembic is ~11 MB a daemon would carry for weeks
        on_create=lambda path: log.info("created database %s", path),
    )


def _heartbeat(settings: Settings) -> Heartbeat:
    """The heartbeat of `daemon.heartbeat_url_env`; a named variable that is unset or not an
    http(s) URL stops the start (a monitor that silently never pings looks dead anyway)."""
    from monitor.config._base import validate_http_url
    from monitor.daemon.jobs import Heartbeat
    from monitor.wiring.secrets import read_secret

    daemon = settings.daemon
    if daemon.heartbeat_url_env is None:
        return Heartbeat(None)
    key = "daemon.heartbeat_url_env"
    url = read_secret(daemon.heartbeat_url_env, key=key)
    try:
        validate_http_url(url)
    except ValueError as exc:
        raise ConfigError([f"{key}: ${daemon.heartbeat_url_env}: {exc}"]) from None
    return Heartbeat(url, timeout=daemon.heartbeat_timeout.total_seconds())


def _start_http(app: Any, daemon: Any) -> Any:
    """The HTTP listener of `[api]`: post-release API, /healthz, /readyz, /metrics."""
    from monitor.daemon.http import serve

    api = app.settings.api
    server = serve(app, daemon, api.host, api.port)
    log.info("senderwatch run: HTTP on %s:%d", api.host, server.port)
    return server


def _answer_orphaned_requests(app: Any) -> None:
    """Post-release requests a previous daemon left `running` (it died: kill -9, power) are
    answered `interrupted`; the lock makes this daemon the only runner of this database."""
    from monitor.services.post_release import interrupt_running

    orphaned = interrupt_running(app)
    if orphaned:
        log.warning(
            "post-release requests %s were cut off by a previous daemon: answered interrupted",
            ", ".join(map(str, orphaned)),
        )


def _shut_down(app: Any, daemon: Any) -> bool:
    """Stop within `shutdown_timeout`, mark cut-off runs interrupted, flush the outbox."""
    from monitor.services.post_release import interrupt_running
    from monitor.services.runs import interrupt_unfinished

    timeout = app.settings.daemon.shutdown_timeout.total_seconds()
    finished = daemon.stop(timeout)
    if daemon.fleet is not None:  # replicas: only this one's runs, never another's
        if daemon.fleet_interrupted:
            log.warning(
                "shutdown: runs %s of this replica stored as interrupted",
                ", ".join(map(str, daemon.fleet_interrupted)),
            )
    elif not finished:
        ids = [
            run_id
            for trigger in ("daemon", "deploy")  # scheduled jobs and post-release runs
            for run_id in interrupt_unfinished(app, trigger=trigger, since=daemon.started_at)
        ]
        requests = interrupt_running(app, since=daemon.started_at)
        log.warning(
            "shutdown: jobs still running after %gs; runs %s stored as interrupted%s",
            timeout,
            ", ".join(map(str, ids)) or "(none started)",
            f"; post-release requests {', '.join(map(str, requests))} answered interrupted"
            if requests
            else "",
        )
    daemon.flush_outbox()
    return bool(finished)


def _reload(config_path: Path, app: Any, daemon: Any) -> None:
    """SIGHUP: a valid config replaces the jobs; a broken one is logged and ignored."""
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        problems = exc.problems
    else:
        problems = []
    if problems:
        for problem in problems:
            log.error("reload: %s", problem)
        log.error("reload: %d problems; the old config keeps running", len(problems))
        return
    if settings.database.url != app.settings.database.url:
        log.error("reload: database.url changed; restart senderwatch run to use another database")
        return
    systemd.reloading()
    try:
        daemon.reload(settings)
    finally:
        systemd.ready()
    log.info("reload: config re-read, %d jobs", len(daemon.jobs()))


class _Signals:
    """SIGTERM/SIGINT end the wait loop; SIGHUP calls the reload callback on the main thread."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.stop = False
        self.hup = False
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop = True
        self.event.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.hup = True
        self.event.set()

    def wait_loop(self, reload: Any, tick: Any = None) -> None:
        """Until a stop signal: reload on SIGHUP, `tick()` about once a second."""
        while not self.stop:
            self.event.wait(1.0)
            self.event.clear()
            if tick is not None:
                tick()
            if self.hup and not self.stop:
                self.hup = False
                reload()
