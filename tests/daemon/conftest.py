"""Fixtures of the daemon tests: start daemons (stopped at the end), the DNS server address."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EditableDns
from tests.daemon._process import DaemonProcess


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons for a test; any still running at its end are stopped."""
    started: list[DaemonProcess] = []

    def start(config: Path, name: str = "daemon", **kwargs: Any) -> DaemonProcess:
        process = DaemonProcess(config, tmp_path / f"{name}.log", **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


@pytest.fixture
def nameserver(dns_server: EditableDns) -> str:
    return dns_server.address
