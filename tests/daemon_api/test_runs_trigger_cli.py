"""`senderwatch runs trigger` as a pipeline runs it: a subprocess against the real API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

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


@pytest.mark.usefixtures("runner")
def test_trigger_wait_junit_writes_the_verdict_as_junit_xml(api: Api, tmp_path: Path) -> None:
    """A pipeline gets the same JUnit file from the daemon as from `check --junit`: one
    testcase per result, named by domain and check."""
    report = tmp_path / "out" / "senderwatch.xml"
    report.parent.mkdir()
    done = _trigger(
        "--env", "production", "--release", "v1.4.4", "--url", api.base, "--check", "dns",
        "--wait", "--junit", str(report),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    suites = ET.fromstring(report.read_text(encoding="utf-8"))
    cases = suites.findall("testsuite/testcase")
    assert cases and int(suites.get("tests", "0")) == len(cases)
    assert {case.get("name") for case in cases} >= {"dns.spf", "dns.dmarc"}
    assert suites.get("failures") == "0"


def test_trigger_junit_without_wait_is_a_usage_error(api: Api, tmp_path: Path) -> None:
    """Without --wait there is no verdict to write; say so before queueing anything."""
    answer = _trigger(
        "--env", "production", "--release", "v1", "--url", api.base, "--junit",
        str(tmp_path / "x.xml"),
    )  # fmt: skip
    assert answer.returncode == 2
    assert "--junit needs --wait" in answer.stderr
    assert not (tmp_path / "x.xml").exists()


def test_junit_of_a_queued_run_is_a_409_naming_its_state(api: Api) -> None:
    """Asking for JUnit before the run ends is a clear conflict, never an empty file."""
    created = requests.post(
        f"{api.base}/api/v1/runs",
        json={"environment": "production", "release": "v9", "checks": ["dns"]},
        headers=api.headers(),
        timeout=10,
    )
    answer = requests.get(
        f"{api.base}{created.json()['url']}/junit", headers=api.headers(), timeout=10
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "run_not_done"


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
