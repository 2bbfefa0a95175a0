"""`senderwatch run` seen as a deploy pipeline and Prometheus see it: through its HTTP
listener only (health, metrics checked by promtool, a post-release run with `runs trigger`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from tests.daemon._process import REPO, DaemonProcess, daemon_config, wait_for

StartDaemon = Callable[..., DaemonProcess]
TOKEN_ENV = "SW_TEST_API_TOKEN"
TOKEN = "t0k3n-for-tests-only"


def _base(daemon: DaemonProcess) -> str:
    daemon.wait_log("HTTP on 127.0.0.1:")
    match = re.search(r"HTTP on 127\.0\.0\.1:(\d+)", daemon.log)
    assert match, daemon.log
    return f"http://127.0.0.1:{match[1]}"


def test_the_daemon_answers_health_metrics_and_a_post_release_run(
    tmp_path: Path, nameserver: str, start_daemon: StartDaemon
) -> None:
    """A pipeline's whole conversation with a running daemon: healthy, ready once the DNS job
    ran, a scrape valid for promtool, and `runs trigger --wait` exiting with the verdict."""
    db = tmp_path / "sw.db"
    text = daemon_config(nameserver=nameserver, database=db, every="2s")
    text = text.replace("[api]\n", f'[api]\ntoken_env = "{TOKEN_ENV}"\n')
    text += '[environments.production]\ndomain = "healthy.test"\n'
    config = tmp_path / "sw.toml"
    config.write_text(text, encoding="utf-8")
    daemon = start_daemon(config, env={TOKEN_ENV: TOKEN})
    base = _base(daemon)
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    wait_for(
        lambda: requests.get(f"{base}/readyz", timeout=10).status_code == 200, 30, "readyz 200"
    )
    daemon.wait_log(" dns: ")  # ready from the start; the check series come with the first run
    scrape = requests.get(f"{base}/metrics", timeout=10).text
    overview = requests.get(f"{base}/", timeout=10)
    assert overview.status_code == 200 and "healthy.test" in overview.text
    assert 'senderwatch_check_status{check="spf"' in scrape
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: install the Debian package prometheus"
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=scrape, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    trigger = subprocess.run(
        [
            *(sys.executable, "-m", "monitor", "runs", "trigger", "--env", "production"),
            *("--release", "v1.4.2", "--url", base, "--check", "dns", "--wait"),
            *("--token-env", TOKEN_ENV),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, TOKEN_ENV: TOKEN},
        check=False,
    )
    assert trigger.returncode == 0, trigger.stdout + trigger.stderr
    assert "v1.4.2" in trigger.stdout
    assert daemon.stop() == 0
