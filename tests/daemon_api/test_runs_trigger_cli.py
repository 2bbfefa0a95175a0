"""`senderwatch runs trigger` as a pipeline runs it: a subprocess against the real API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from monitor.services import post_release
from tests.daemon_api.conftest import TOKEN, TOKEN_ENV, Api


def _trigger(*args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, TOKEN_ENV: token}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "runs", "trigger", "--token-env", TOKEN_ENV, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def runner(api: Api) -> Iterator[None]:
    """The daemon's runner as the scheduler drives it: woken by the API, runs the queue."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if api.view.wakes.wait(0.1):
                api.view.wakes.clear()
                while post_release.execute_next(api.app):
                    pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


@pytest.mark.usefixtures("runner")
def test_trigger_wait_prints_the_verdict_and_exits_with_its_code(api: Api) -> None:
    """One command queues, waits and exits 0 for a healthy domain, with the release shown."""
    done = _trigger(
        "--env", "production", "--release", "v1.4.2", "--url", api.base, "--check", "dns", "--wait"
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "done, pass" in first or "done, warn" in first
    assert "production release v1.4.2" in first
    as_json = _trigger(
        "--env", "production", "--release", "v1.4.3", "--url", api.base, "--wait",
        "--format", "json", "--check", "dns",
    )  # fmt: skip
    document = json.loads(as_json.stdout)
    assert as_json.returncode == document["exit_code"] == 0
    assert document["result"]["run_id"] == document["run_id"]


def test_trigger_with_a_wrong_token_exits_2(api: Api) -> None:
    """A 401 is a problem for a person to fix, not a failed deploy."""
    answer = _trigger(
        "--env", "production", "--release", "v1", "--url", api.base, token="wrong"
    )  # fmt: skip
    assert answer.returncode == 2
    assert "unauthorized" in answer.stderr


def test_trigger_with_an_unknown_environment_exits_2_naming_it(api: Api) -> None:
    answer = _trigger("--env", "prod", "--release", "v1", "--url", api.base)
    assert answer.returncode == 2
    assert "unknown_environment (environment)" in answer.stderr


def test_trigger_against_no_listener_exits_5() -> None:
    """Nothing listening: the pipeline can tell "monitor down" from "mail broken"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    answer = _trigger("--env", "production", "--release", "v1", "--url", f"http://127.0.0.1:{port}")
    assert answer.returncode == 5
    assert "did not answer" in answer.stderr
