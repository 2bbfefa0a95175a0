"""The README's local demo, run as written: what it says the commands print is what they print."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from tests.support.dns_server import KnotServer

ROOT = Path(__file__).resolve().parents[1]


def _readme_block(after: str) -> str:
    """The first ```text block following the line containing `after`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tail = readme[readme.index(after) :]
    match = re.search(r"```text\n(.*?)```", tail, re.S)
    assert match, f"no text block after {after!r} in README.md"
    return match.group(1)


def test_the_readme_drift_example_is_what_check_prints(tmp_path: Path) -> None:
    """Weakening p=reject to p=none moves p, sp and np: the README shows all three, verbatim."""
    zones = tmp_path / "demo-zones"
    shutil.copytree(ROOT / "tests" / "zones", zones)
    config = tmp_path / "demo.toml"
    with KnotServer(zones) as server:
        text = (ROOT / "docs" / "demo.toml").read_text(encoding="utf-8")
        text = text.replace("127.0.0.1:5353", server.address)
        text = text.replace("sqlite:///senderwatch-demo.db", f"sqlite:///{tmp_path / 'demo.db'}")
        config.write_text(text, encoding="utf-8")
        run = CliRunner().invoke
        assert run(cli, ["check", "--config", str(config)]).exit_code == 1
        zone = zones / "healthy.test.zone"
        edited = zone.read_text(encoding="utf-8").replace("p=reject", "p=none")
        zone.write_text(edited.replace("1 ; serial", "2 ; serial", 1), encoding="utf-8")
        server.reload("healthy.test")
        second = run(cli, ["check", "--config", str(config), "--domain", "healthy.test"])
        approved = run(
            cli,
            [
                *("baseline", "approve", "--config", str(config), "--domain", "healthy.test"),
                *("--check", "dmarc", "--reason", "p=none during the ESP migration"),
            ],
        )
    assert second.exit_code == 1
    assert second.stdout == _readme_block("The second `check` prints")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"the approval answers `(.*?)`", readme)
    assert said, "README.md no longer shows the approval line"
    number = re.compile(r"result \d+")
    assert number.sub("result N", approved.stdout.strip()) == number.sub("result N", said[1])
