"""`senderwatch report weekly` from a config file, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.storage import open_database
from tests.conftest import EditableDns
from tests.monitor.report import _seed

CONFIG = """
[database]
url = "sqlite:///{db}"

[dns]
nameservers = ["{dns}"]

[[domains]]
name = "example.test"
dkim_selectors = ["s1"]

[environments.production]
domain = "example.test"
"""


@pytest.fixture
def config(tmp_path: Path, dns_server: EditableDns) -> Path:
    db = open_database(f"sqlite:///{tmp_path / 'sw.db'}", on_create=None)
    _seed.seed(db)
    db.dispose()
    path = tmp_path / "senderwatch.toml"
    path.write_text(CONFIG.format(db=tmp_path / "sw.db", dns=dns_server.address), encoding="utf-8")
    return path


def _run(*args: str | Path) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_html_report_is_written_to_the_file_asked_for(config: Path, tmp_path: Path) -> None:
    """The issue's "done when": `--format html --out report.html` after some days of checks."""
    out = tmp_path / "report.html"
    result = _run(
        "report",
        "weekly",
        "--week",
        "2026-W47",
        "--format",
        "html",
        "--out",
        out,
        "--config",
        config,
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "production (example.test)" in page


def test_json_for_one_environment_on_stdout(config: Path) -> None:
    """--env narrows to one section; the figures are the stored ones."""
    result = _run(
        "report",
        "weekly",
        "--week",
        "2026-W47",
        "--env",
        "production",
        "--format",
        "json",
        "--config",
        config,
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    doc = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [s["environment"] for s in doc["sections"]] == ["production"]
    assert doc["sections"][0]["canary"]["sent"] == 28


def test_an_unknown_environment_is_exit_2_with_one_line(config: Path) -> None:
    """A typo names what exists, and exits 2."""
    result = _run("report", "weekly", "--env", "prod", "--config", config)
    assert result.exit_code == 2
    assert "no environment named 'prod' (environments: production)" in result.output  # type: ignore[attr-defined]


def test_send_without_channels_says_so(config: Path) -> None:
    """--send with no [[alerts.channels]] is a usage error, not a silent no-op."""
    result = _run("report", "weekly", "--send", "--week", "2026-W47", "--config", config)
    assert result.exit_code == 2
    assert "no channels configured" in result.output  # type: ignore[attr-defined]
