"""Helpers for CLI tests: a config file pointing at the test DNS server and a database."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli

WriteConfig = Callable[..., Path]
Invoke = Callable[..., Result]


def config_text(
    *,
    nameserver: str,
    database_url: str,
    domains: Sequence[str] = ("core-drift.test",),
    checks: Sequence[str] = ("spf", "dmarc", "dkim", "mx"),
    extra: str = "",
    timeout: float = 2.0,
) -> str:
    """A senderwatch config: these domains, DKIM selector s1, no DMARC expectation."""
    blocks = [
        "[database]",
        f"url = {json.dumps(database_url)}",
        "[dns]",
        f"nameservers = [{json.dumps(nameserver)}]",
        f"timeout = {timeout}",
        "retries = 0",
    ]
    for name in domains:
        blocks += [
            "[[domains]]",
            f"name = {json.dumps(name)}",
            'dkim_selectors = ["s1"]',
            f"checks = {json.dumps(list(checks))}",
        ]
    return "\n".join(blocks) + "\n" + extra


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a config file (see `config_text`); the database defaults to SQLite in tmp."""

    def write(name: str = "senderwatch.toml", **kwargs: Any) -> Path:
        kwargs.setdefault("database_url", f"sqlite:///{tmp_path / 'senderwatch.db'}")
        path = tmp_path / name
        path.write_text(config_text(**kwargs), encoding="utf-8")
        return path

    return write


@pytest.fixture
def invoke() -> Invoke:
    """Run a senderwatch command in-process; stdout and stderr kept apart."""

    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return run
