"""`senderwatch inspect`: exit codes, the text and JSON views, and --env from the config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.support.authres_messages import many_results

MESSAGES = Path(__file__).parents[1] / "corpus" / "authresults" / "messages"


def _run(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["inspect", *args], input=stdin, catch_exceptions=False)


def _config(tmp_path: Path, receiver: str = "generic", ids: str = '["mx.example.net"]') -> Path:
    path = tmp_path / "senderwatch.toml"
    path.write_text(
        f"""
[environments.production]
domain = "example.com"
from = "canary@example.com"
to = "seed@example.net"
dkim_selectors = ["s1"]
[environments.production.smtp]
host = "127.0.0.1"
port = 2525
security = "none"
[environments.production.inbox]
kind = "maildir"
path = "{tmp_path / "Maildir"}"
trusted_authserv_ids = {ids}
receiver = "{receiver}"
""",
        encoding="utf-8",
    )
    return path


def test_passing_message_exits_zero_with_a_readable_verdict() -> None:
    """Exit 0 only when SPF, DKIM and DMARC pass and align."""
    result = _run(str(MESSAGES / "all-pass.eml"), "--trusted", "mx.example.net")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("PASS")
    assert "pass and align" in first
    assert "receiving hop: mx.example.net from 192.0.2.10, TLS yes (TLSv1.3)" in result.output


def test_forged_message_exits_one_and_explains_the_ignored_header() -> None:
    """The text view says which headers were not believed and why."""
    result = _run(str(MESSAGES / "forged-below.eml"), "--trusted", "mx.example.net")
    assert result.exit_code == 1
    assert result.output.startswith("FAIL")
    assert "canary.dkim_fail" in result.output
    assert "why: below the receiver's own Received header" in result.output


def test_json_output_is_the_documented_document() -> None:
    """--format json is stable: version 1, ok, observations, methods, findings, evidence."""
    result = _run(str(MESSAGES / "body-hash.eml"), "--trusted", "mx.google.com", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["version"] == 1
    assert document["ok"] is False
    assert document["observations"]["canary.dkim"] == "neutral"
    assert {f["code"] for f in document["findings"]} == {
        "canary.dkim_fail",
        "canary.dkim_body_hash",
    }


def test_env_reads_trusted_ids_domain_and_selectors_from_the_config(tmp_path: Path) -> None:
    """--env takes the inbox's authserv-ids, the domain and the DKIM selectors."""
    config = _config(tmp_path)
    result = _run(
        str(MESSAGES / "dual-signature.eml"), "--env", "production", "--config", str(config)
    )
    assert result.exit_code == 0, result.output
    assert "s=s1" in result.output


def test_env_with_microsoft365_receiver_needs_no_authserv_id(tmp_path: Path) -> None:
    """Microsoft 365's inbox is trusted by the id-less rule named in the config."""
    config = _config(tmp_path, receiver="microsoft365", ids="[]")
    result = _run(str(MESSAGES / "m365.eml"), "--env", "production", "--config", str(config))
    assert result.exit_code == 0, result.output


def test_message_can_be_read_from_stdin() -> None:
    """`-` reads the message from standard input (pipe from a mail client)."""
    raw = (MESSAGES / "all-pass.eml").read_bytes()
    assert _run("-", "--trusted", "mx.example.net", stdin=raw).exit_code == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "name the receiver to trust"),
        (["--env", "production", "--trusted", "mx.example.net"], "not both"),
        (["--env", "staging"], 'no environment "staging"'),
        (["--trusted", "mx.example.net", "--receiver", "exchange"], "Invalid value"),
    ],
)
def test_usage_errors_exit_two(tmp_path: Path, args: list[str], needle: str) -> None:
    """Usage errors must not look like an authentication failure (exit 1)."""
    config = _config(tmp_path)
    result = CliRunner().invoke(
        cli, ["inspect", str(MESSAGES / "all-pass.eml"), *args, "--config", str(config)]
    )
    assert result.exit_code == 2
    assert needle in result.output


def test_broken_config_exits_two_only_when_env_is_given(tmp_path: Path) -> None:
    """--trusted needs no config at all; --env with a broken config is a config error."""
    broken = tmp_path / "broken.toml"
    broken.write_text("[environments.production\n", encoding="utf-8")
    message = str(MESSAGES / "all-pass.eml")
    with_env = CliRunner().invoke(
        cli, ["inspect", message, "--env", "production", "--config", str(broken)]
    )
    assert with_env.exit_code == 2
    assert "not valid TOML" in with_env.output
    without = _run(message, "--trusted", "mx.example.net", "--config", str(broken))
    assert without.exit_code == 0


def test_missing_message_file_exits_two(tmp_path: Path) -> None:
    """An unreadable file is a usage problem, reported on stderr."""
    result = CliRunner().invoke(cli, ["inspect", str(tmp_path / "nope.eml"), "--trusted", "x"])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_oversized_receiver_header_exits_three_and_never_prints_a_false_reason(
    tmp_path: Path,
) -> None:
    """The issue's reproducer: was PASS with "no authserv-id (receiver is generic)"; now ERROR."""
    message = tmp_path / "m.eml"
    message.write_bytes(many_results(1200))
    result = _run(str(message), "--trusted", "mx.example.net")
    assert result.exit_code == 3, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("ERROR")
    assert "could not be read: header is" in first
    assert "canary.ar_unreadable" in result.output
    assert "no authserv-id" not in result.output
    assert "why: below the receiver's own Received header" in result.output


def test_message_without_trusted_results_exits_three_not_one() -> None:
    """Nothing to judge is "could not measure" (exit 3), as the round trip records it."""
    result = _run(str(MESSAGES / "all-pass.eml"), "--trusted", "mx.example.org")
    assert result.exit_code == 3, result.output
    assert result.output.startswith("ERROR")
    assert "canary.no_trusted_results" in result.output


def test_header_block_over_the_limit_is_a_one_line_error_exit_two(tmp_path: Path) -> None:
    """A header block over 1 MiB is refused before inspection: one line, no traceback."""
    message = tmp_path / "huge-headers.eml"
    with message.open("wb") as handle:
        handle.write(b"Authentication-Results: mx.example.net; spf=pass\n")
        for i in range(80_000):
            handle.write(b"X-Filler: %07d\n" % i)
        handle.write(b"\nbody\n")
    result = CliRunner().invoke(cli, ["inspect", str(message), "--trusted", "mx.example.net"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "header block is over 1,048,576 bytes (1 MiB)" in result.output
    assert "Traceback" not in result.output


def test_large_body_is_not_read(tmp_path: Path) -> None:
    """The verdict needs headers only: a 20 MB body, even unterminated junk, changes nothing."""
    message = tmp_path / "large.eml"
    with message.open("wb") as handle:
        handle.write((MESSAGES / "all-pass.eml").read_bytes())
        chunk = b"\xff\x00" * (1 << 19)
        for _ in range(20):
            handle.write(chunk)
    result = _run(str(message), "--trusted", "mx.example.net")
    assert result.exit_code == 0, result.output
