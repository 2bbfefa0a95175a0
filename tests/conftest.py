"""Fixtures shared by the whole suite: the real DNS server and a resolver pointed at it.

The zone files under tests/zones/ are copied to a temporary directory, so a test that edits a
zone (drift tests) never touches the repository; tests that edit use `editable_dns`, which
gives them a server of their own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks.dns.resolver import Resolver
from tests.support.dns_server import KnotServer, bump_serial

ZONES = Path(__file__).parent / "zones"
_STATE_HOME = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """A state folder of the session's own (set before collection, inherited by every child
    process): a database left at its default place lands there, never in ~/.local/state."""
    state = tempfile.mkdtemp(prefix="senderwatch-state-")
    config.stash[_STATE_HOME] = state
    os.environ["XDG_STATE_HOME"] = state


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash.get(_STATE_HOME, ""), ignore_errors=True)


class EditableDns:
    """A Knot server over private copies of the zones, with an edit-and-reload helper."""

    def __init__(self, server: KnotServer, zone_dir: Path) -> None:
        self.server = server
        self.zone_dir = zone_dir

    @property
    def address(self) -> str:
        return self.server.address

    def resolver(self, timeout: float = 2.0, retries: int = 1) -> Resolver:
        return Resolver([self.address], timeout=timeout, retries=retries, backoff=0.05)

    def edit(self, zone: str, old: str, new: str) -> None:
        """Replace `old` with `new` in zone `zone`, bump its serial and wait until it is live."""
        path = self.zone_dir / f"{zone}.zone"
        text = path.read_text()
        if old not in text:
            raise AssertionError(f"{old!r} not in zone {zone}")
        path.write_text(bump_serial(text.replace(old, new)))
        self.server.reload(zone)


def _serve_copy(tmp: Path) -> Iterator[EditableDns]:
    zone_dir = tmp / "zones"
    shutil.copytree(ZONES, zone_dir)
    server = KnotServer(zone_dir, workdir=tmp / "knot")
    (tmp / "knot").mkdir(exist_ok=True)
    with server:
        yield EditableDns(server, zone_dir)


@pytest.fixture(scope="session")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditableDns]:
    """One shared, read-only Knot server over all test zones (do not edit through it)."""
    yield from _serve_copy(tmp_path_factory.mktemp("dns"))


@pytest.fixture
def editable_dns(tmp_path: Path) -> Iterator[EditableDns]:
    """A Knot server of this test's own, whose zones the test may edit."""
    yield from _serve_copy(tmp_path)


@pytest.fixture
def resolver(dns_server: EditableDns) -> Resolver:
    """A fresh resolver (empty per-run cache) pointed at the shared test DNS server."""
    return dns_server.resolver()
