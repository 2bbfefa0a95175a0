"""`senderwatch alerts ...` commands, in-process through click, on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.config import load_settings
from monitor.engine.alerting import process_run
from monitor.storage import open_database
from tests.alerts.conftest import FakeClock, finding, new_whsec, result
from tests.support.http_receiver import HttpReceiver, Reply

SECRET = new_whsec()


@pytest.fixture
def config(tmp_path: Path, receiver: HttpReceiver) -> Path:
    path = tmp_path / "senderwatch.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "sw.db"}"
[[alerts.channels]]
name = "pager"
kind = "webhook"
url = "{receiver.url("/in")}"
secret_env = "SW_SECRET"
""",
        encoding="utf-8",
    )
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={"SW_SECRET": SECRET})


def fire(config: Path) -> None:
    """Record a firing SPF problem through the bridge, as a check run would."""
    settings = load_settings(config)
    db = open_database(settings.database.url)
    process_run(db, settings, [result(finding("spf.missing"))], [], now=FakeClock()())
    db.dispose()


def test_silence_shows_in_list_and_unsilence_ends_it(config: Path) -> None:
    """A silence is visible with its reason until it is ended."""
    made = run(
        "alerts",
        "silence",
        "--domain",
        "example.test",
        "--for",
        "2h",
        "--reason",
        "DNS migration",
        "--by",
        "ops",
        "--config",
        config,
    )
    assert made.exit_code == 0, made.output
    assert made.output.startswith("silence #1: domain example.test until ")
    listed = run("alerts", "list", "--config", config)
    assert "#1: domain example.test" in listed.output
    assert "ops: DNS migration" in listed.output
    assert run("alerts", "unsilence", "1", "--config", config).exit_code == 0
    assert "SILENCES (0 active)" in run("alerts", "list", "--config", config).output
    assert run("alerts", "unsilence", "1", "--config", config).exit_code == 2


def test_silence_needs_exactly_one_target(config: Path) -> None:
    """KEY, --domain and --env are alternatives; both or none is a usage error."""
    both = run(
        "alerts",
        "silence",
        "example.test/spf/spf.missing",
        "--domain",
        "example.test",
        "--for",
        "1h",
        "--reason",
        "x",
        "--config",
        config,
    )
    assert both.exit_code == 2
    bad_for = run(
        "alerts",
        "silence",
        "--env",
        "production",
        "--for",
        "soon",
        "--reason",
        "x",
        "--config",
        config,
    )
    assert bad_for.exit_code == 2
    assert "duration" in bad_for.output


def test_ack_marks_a_firing_alert_and_refuses_unknown_keys(config: Path) -> None:
    """Ack is shown in the list; acking something that is not firing says so."""
    fire(config)
    listed = run("alerts", "list", "--config", config)
    assert "firing   critical" in listed.output
    assert "example.test/spf/spf.missing" in listed.output
    acked = run("alerts", "ack", "example.test/spf/spf.missing", "--config", config)
    assert acked.exit_code == 0, acked.output
    assert "[acked]" in run("alerts", "list", "--config", config).output
    unknown = run("alerts", "ack", "example.test/dkim/nope", "--config", config)
    assert unknown.exit_code == 2  # a usage error: nothing by that key
    assert "no active alert" in unknown.output


def test_deliver_drains_the_outbox(config: Path, receiver: HttpReceiver) -> None:
    """`alerts deliver` is the cron-friendly way to push what the outbox holds."""
    fire(config)
    out = run("alerts", "deliver", "--wait", "5s", "--config", config)
    assert out.exit_code == 0, out.output
    assert out.output.startswith("1 sent")
    assert len(receiver.requests) == 1


def test_test_command_sends_and_prints_the_outcome(config: Path, receiver: HttpReceiver) -> None:
    """`alerts test` proves a channel works, with the secret masked in what it prints."""
    ok = run("alerts", "test", "--channel", "pager", "--config", config)
    assert ok.exit_code == 0, ok.output
    assert "delivered (msg_" in ok.output
    first = ok.output.splitlines()[0]
    assert first.startswith('sent a test notification to webhook channel "pager" (url http')
    assert "{" not in ok.output and "': " not in ok.output  # a sentence, not a Python dict
    assert receiver.requests[0].json()["type"] == "alert.test"
    assert SECRET.removeprefix("whsec_") not in ok.output
    receiver.script(Reply(400, body="schema mismatch"))
    failed = run("alerts", "test", "--channel", "pager", "--config", config)
    assert failed.exit_code == 1
    assert "FAILED (permanent)" in failed.output
    assert "HTTP 400" in failed.output


def test_test_command_names_unknown_channels(config: Path) -> None:
    """A typo in --channel lists the channels that exist."""
    out = run("alerts", "test", "--channel", "nope", "--config", config)
    assert out.exit_code == 2
    assert "no channel named 'nope' (channels: pager)" in out.output


def test_counts_agree_when_a_channel_cannot_be_built(config: Path, tmp_path: Path) -> None:
    """A channel whose secret is missing keeps its rows queued, and the summary says so:
    "queued" and "0 still queued" never appear together."""
    fire(config)
    out = CliRunner().invoke(cli, ["alerts", "deliver", "--wait", "0s", "--config", str(config)])
    assert out.exit_code == 1
    assert "SW_SECRET" in out.output
    assert out.output.splitlines()[-1] == (
        "0 sent, 0 retries scheduled, 0 failed, 0 dead; 1 still queued"
    )
