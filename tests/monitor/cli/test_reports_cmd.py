"""`senderwatch reports ingest|sources`: what a person sees, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EditableDns
from tests.monitor.cli.conftest import Invoke, WriteConfig
from tests.support import dmarc_samples as s

SENDERS = """
[[domains.senders]]
name = "News ESP"
spf_include = "_spf.news-esp.test"
"""


@pytest.fixture
def config(write_config: WriteConfig, dns_server: EditableDns) -> Path:
    return write_config(nameserver=dns_server.address, domains=("reports-lab.test",), extra=SENDERS)


def test_ingest_files_then_see_the_week_as_json(
    invoke: Invoke, config: Path, tmp_path: Path
) -> None:
    """Files in, "who sends as you" out: the failing spoofer is listed as unauthorised."""
    report = tmp_path / "google.zip"
    report.write_bytes(s.zipped(s.google()))
    result = invoke("reports", "ingest", "--config", config, report)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "1 input: 1 stored (1 report), 0 already stored, 0 rejected"
    )
    shown = invoke(
        "reports", "sources", "--week", "2026-01-01", "--format", "json", "--config", config
    )
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    [domain] = doc["domains"]
    assert domain["messages"] == 280
    spoofer = next(x for x in domain["sources"] if x["group"] == "isp-sample.test")
    assert (spoofer["status"], spoofer["authorised"], spoofer["new"]) == ("failing", False, True)


def test_sources_as_text_names_each_source(invoke: Invoke, config: Path, tmp_path: Path) -> None:
    report = tmp_path / "google.xml.gz"
    report.write_bytes(s.gz(s.google()))
    invoke("reports", "ingest", "--no-alerts", "--config", config, report)
    shown = invoke(
        "reports",
        "sources",
        "--week",
        "2026-W01",
        "--domain",
        "reports-lab.test",
        "--config",
        config,
    )
    assert shown.exit_code == 0
    text = shown.stdout
    assert "reports-lab.test: 280 messages in 1 report from 1 receiver; DMARC pass 68%" in text
    assert "News ESP" in text and "not aligning (new)" in text
    assert "failing (new), unauthorised" in text


def test_a_rejected_input_is_printed_with_its_reason_and_exits_1(
    invoke: Invoke, config: Path, tmp_path: Path
) -> None:
    bomb = tmp_path / "laughs.xml"
    bomb.write_bytes(s.BILLION_LAUGHS)
    result = invoke("reports", "ingest", "--config", config, bomb)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(
        "rejected file:laughs.xml: reports.xml_doctype:"
    )


def test_ingest_needs_exactly_one_source(invoke: Invoke, config: Path, tmp_path: Path) -> None:
    result = invoke("reports", "ingest", "--config", config)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: give exactly one of --env ENV, --dir DIR or FILE...\n",
    )


def test_without_the_reports_extra_one_line_says_how_to_install_it(
    config: Path, tmp_path: Path
) -> None:
    """parsedmarc is optional: without it, exit 2 and the pip line, no traceback."""
    report = tmp_path / "r.xml"
    report.write_bytes(s.google())
    code = (
        "import sys; sys.modules['parsedmarc'] = None\n"
        "from monitor.cli import main; sys.argv = ['senderwatch', *sys.argv[1:]]; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "reports", "ingest", "--config", str(config), str(report)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr == (
        "error: reading DMARC reports needs parsedmarc: pip install 'senderwatch[reports]'\n"
    )
