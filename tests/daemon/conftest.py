"""Fixtures of the daemon tests: start daemons (stopped at the end), the DNS server address."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EditableDns
from tests.daemon._process import DaemonProcess, daemon_starter


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons for a test; any still running at its end are stopped."""
    with daemon_starter(tmp_path) as start:
        yield start


@pytest.fixture
def nameserver(dns_server: EditableDns) -> str:
    return dns_server.address
