"""The scheduler in-process: the config check, the post-release runner's wake-up, job state,
and the heartbeat pinged around DNS cycles (against a loopback HTTP receiver)."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.app import App
from monitor.cli import cli
from monitor.config import parse_settings
from monitor.daemon.jobs import Heartbeat
from monitor.daemon.scheduler import Daemon
from tests.daemon._process import daemon_config, wait_for

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"


def _settings(tmp_path: Path, nameserver: str, **daemon: Any) -> Any:
    return parse_settings(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'sw.db'}"},
            "dns": {"nameservers": [nameserver], "timeout": 1.0, "retries": 0},
            "domains": [{"name": "healthy.test", "checks": ["spf", "dmarc"]}],
            "daemon": {"jobs": {"dns": {"every": "1h"}, "retention": {"every": "1d"}}, **daemon},
        }
    )


def test_check_config_prints_three_fire_times_per_job(tmp_path: Path) -> None:
    """`run --check-config` shows when each job fires next, in the job's own time zone."""
    text = daemon_config(nameserver="127.0.0.1:53", database=tmp_path / "sw.db").replace(
        'every = "1s"', 'cron = "*/15 * * * *"\ntimezone = "Europe/Berlin"'
    )
    config = tmp_path / "sw.toml"
    config.write_text(text.replace("enabled = false", "enabled = true"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--check-config"])
    assert result.exit_code == 0, result.output
    lines = {line.split(" ", 1)[0]: line for line in result.output.splitlines()}
    assert len(re.findall(STAMP, lines["dns"])) == 3
    assert re.findall(r":(?:00|15|30|45):00\+0[12]:00", lines["dns"]), lines["dns"]
    assert len(re.findall(STAMP, lines["retention"])) == 3
    assert "config ok: 2 jobs" in result.output


def test_bad_cron_expression_is_a_config_error_naming_its_key(tmp_path: Path) -> None:
    """A typo in a cron expression stops the start with exit 2 and the key's path."""
    text = daemon_config(nameserver="127.0.0.1:53", database=tmp_path / "sw.db").replace(
        'every = "1s"', 'cron = "*/15 * * *"'
    )
    config = tmp_path / "sw.toml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--check-config"])
    assert result.exit_code == 2
    assert "daemon.jobs.dns.cron" in result.output
    assert "*/15 * * *" in result.output


def test_every_and_cron_together_is_a_config_error(tmp_path: Path) -> None:
    """A job with both an interval and a cron expression is ambiguous: refused."""
    text = daemon_config(nameserver="127.0.0.1:53", database=tmp_path / "sw.db").replace(
        'every = "1s"', 'every = "1s"\ncron = "* * * * *"'
    )
    config = tmp_path / "sw.toml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--check-config"])
    assert result.exit_code == 2
    assert "daemon.jobs.dns" in result.output and "exactly one of" in result.output


def test_wake_runner_takes_queued_runs_at_once_not_on_the_poll(tmp_path: Path) -> None:
    """A queued post-release run is taken when the API wakes the runner, even with an hour
    between polls; the runner drains the queue and records its success."""
    queue: list[str] = []
    taken: list[str] = []
    done = threading.Event()

    def take_next(app: App) -> bool:
        if not queue:
            done.set()
            return False
        taken.append(queue.pop(0))
        return True

    settings = _settings(tmp_path, "127.0.0.1:1", runner_poll="1h")
    with App(settings) as app:
        daemon = Daemon(app, take_next=take_next)
        daemon.start()
        try:
            wait_for(done.is_set, 10, "the runner's first (empty) pass")
            done.clear()
            queue.extend(["first", "second"])
            daemon.wake_runner()
            wait_for(done.is_set, 5, "the woken runner")
            states = {state.name: state for state in daemon.jobs()}
            assert daemon.alive()
        finally:
            daemon.stop(5)
    assert taken == ["first", "second"]
    assert states["runner"].last_success is not None
    assert states["runner"].interval_s is None
    assert states["dns"].interval_s == 3600
    assert not daemon.alive()


class _Receiver(http.server.BaseHTTPRequestHandler):
    paths: list[str]

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server recording the paths it is asked for."""
    paths: list[str] = []
    handler = type("Handler", (_Receiver,), {"paths": paths})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ping/abc", paths
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("nameserver_ok", "last"), [(True, "/ping/abc"), (False, "/ping/abc/fail")]
)
def test_heartbeat_is_pinged_around_each_dns_cycle(
    tmp_path: Path,
    receiver: tuple[str, list[str]],
    dns_server: Any,
    nameserver_ok: bool,
    last: str,
) -> None:
    """`URL/start` before the DNS cycle; `URL` after a good one, `URL/fail` when the
    monitor measured nothing (here: a nameserver that refuses)."""
    url, paths = receiver
    nameserver = dns_server.address if nameserver_ok else "127.0.0.1:1"
    with App(_settings(tmp_path, nameserver)) as app:
        daemon = Daemon(app, heartbeat=Heartbeat(url, timeout=2))
        daemon.start()
        try:
            wait_for(lambda: len(paths) >= 2, 20, "two pings")
        finally:
            daemon.stop(5)
    assert paths == ["/ping/abc/start", last]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "SW_HEARTBEAT"), ({"SW_HEARTBEAT": "hc-ping token 1234"}, "must be an http(s) URL")],
)
def test_heartbeat_variable_unset_or_not_a_url_stops_the_start(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    """A named heartbeat that cannot be pinged is a config error (exit 2), and the value,
    which may be a token, is never echoed."""
    text = daemon_config(nameserver="127.0.0.1:53", database=tmp_path / "sw.db").replace(
        "[daemon]\n", '[daemon]\nheartbeat_url_env = "SW_HEARTBEAT"\n'
    )
    config = tmp_path / "sw.toml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["run", "--config", str(config), "--check-config"],
        env={"SW_HEARTBEAT": None, **environ},
    )
    assert result.exit_code == 2, result.output
    assert "daemon.heartbeat_url_env" in result.output and expected in result.output
    assert "1234" not in result.output


def test_job_state_records_failures_and_reload_drops_removed_jobs(
    tmp_path: Path, dns_server: Any
) -> None:
    """A job that raises keeps its error for health checks (no success recorded); a reload
    whose config no longer has the job removes it from the view."""
    environment = {
        "staging": {
            "domain": "healthy.test",
            "from": "canary@healthy.test",
            "to": "seed@lab.test",
            "smtp": {
                "host": "127.0.0.1",
                "port": 2525,
                "security": "none",
                "username": "canary",
                "password_env": "SW_TEST_UNSET_PASSWORD",
            },
            "inbox": {
                "kind": "maildir",
                "path": str(tmp_path / "Maildir"),
                "trusted_authserv_ids": ["lab.test"],
            },
        }
    }
    base = _settings(tmp_path, dns_server.address)
    settings = base.model_copy(
        update={"environments": parse_settings({"environments": environment}).environments}
    )
    with App(settings, environ={}) as app:
        daemon = Daemon(app)
        daemon.start()
        try:
            wait_for(
                lambda: any(s.name == "canary.staging" and s.last_error for s in daemon.jobs()),
                20,
                "the canary job's failure",
            )
            canary = next(s for s in daemon.jobs() if s.name == "canary.staging")
            daemon.reload(base)
            names = [state.name for state in daemon.jobs()]
        finally:
            daemon.stop(5)
    assert canary.last_success is None and not canary.running
    assert "SW_TEST_UNSET_PASSWORD" in (canary.last_error or "")
    assert names == ["dns", "outbox", "retention"]
