"""`senderwatch config validate`: every bad-config rule, and the shipped example config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.monitor.cli.conftest import Invoke

REPO = Path(__file__).resolve().parents[3]
INVALID = REPO / "tests" / "config" / "invalid"
EXAMPLE = REPO / "config.example.toml"

# fixture file → the problem lines expected after "<path>: " (all of them, in order)
CASES: dict[str, list[str]] = {
    "unknown_key.toml": ["dns.timeuot: unknown key; did you mean `timeout`?"],
    "wrong_type.toml": ['dns.retries: must be an integer; got "two"'],
    "bad_enum.toml": [
        'domains[0].expect.dmarc_policy: must be one of none, quarantine, reject; got "rejct"'
    ],
    "bad_check_name.toml": [
        'domains[0].checks[2]: must be one of spf, dmarc, dkim, mx, mta_sts, tlsrpt; got "bimi"'
    ],
    "missing_required_key.toml": ["domains[0].name: required key is missing"],
    "bad_domain.toml": ['domains[0].name: not a valid domain name; got "exa mple..test"'],
    "bad_nameserver.toml": [
        'dns.nameservers[0]: must be an IP address with optional ":port"; got "dns.example.test"'
    ],
    "nameserver_port_out_of_range.toml": [
        'dns.nameservers[0]: port out of range; got "192.0.2.53:70000"'
    ],
    "out_of_range.toml": [
        "dns.timeout: must be greater than 0; got 0",
        "dns.concurrency: must be at most 1024; got 5000",
    ],
    "plaintext_to_non_loopback.toml": [
        'environments.production.smtp: security = "none" is allowed only for a loopback '
        'host; got host "smtp.example.test"'
    ],
    "duplicate_domain.toml": [
        'domains: domain "example.test" is listed twice (domains[0] and domains[1])'
    ],
    "toml_syntax_error.toml": ["not valid TOML: Unclosed array (at end of document)"],
    "bad_database_url.toml": ['database.url: not a SQLAlchemy database URL; got "senderwatch.db"'],
    "bad_spf_ip_range.toml": [
        'domains[0].expect.spf_ip_ranges[0]: not an IP address or CIDR range; got "192.0.2.0/33"'
    ],
    "bad_dkim_selector.toml": [
        'domains[0].dkim_selectors[1]: not a valid DKIM selector; got "bad selector"'
    ],
    "two_sending_paths.toml": [
        "environments.production: set either smtp or http as the sending path, not both"
    ],
    "several_problems.toml": [
        'dns.timeout: must be a number; got "slow"',
        "dns.retries: must be at least 0; got -1",
        "domains[0].expect.min_dkim_bits: must be at least 1024; got 512",
        "domains[1].name: required key is missing",
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_invalid_config_prints_every_problem_and_exits_2(name: str, invoke: Invoke) -> None:
    """One fixture per rule: the key path and the found value are named, all at once."""
    path = INVALID / name
    result = invoke("config", "validate", "--config", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}: {line}" for line in CASES[name]]


def test_every_invalid_fixture_has_a_case() -> None:
    """A fixture added without its expected lines is caught."""
    assert sorted(p.name for p in INVALID.glob("*.toml")) == sorted(CASES)


def test_a_missing_file_is_a_config_error(invoke: Invoke, tmp_path: Path) -> None:
    """No file, no guessing: exit 2 naming the path."""
    path = tmp_path / "nope.toml"
    result = invoke("config", "validate", "--config", path)
    assert (result.exit_code, result.stderr) == (2, f"{path}: file not found\n")


def test_the_example_config_validates(invoke: Invoke) -> None:
    """config.example.toml is documentation that must keep working."""
    result = invoke("config", "validate", "--config", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert result.stdout == "config OK: 2 domains, 1 environments, 0 channels\n"


def _uncommented(text: str) -> str:
    """The example with its commented-out examples switched on: the staging environment and
    alert blocks, and single optional keys such as `# ca_file = ...`."""
    out, in_block = [], False
    for line in text.splitlines():
        if line.startswith(("# [environments.staging]", "# [[alerts.channels]]")):
            in_block = True
        elif line.startswith("# ---"):
            in_block = False
        if (in_block or re.match(r"^# [a-z_]+ = ", line)) and line.startswith("#"):
            out.append(line[2:] if line.startswith("# ") else "")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_the_commented_examples_in_the_example_config_validate_too(
    invoke: Invoke, tmp_path: Path
) -> None:
    """Commented-out options are documentation as well; switched on, they must be valid."""
    path = tmp_path / "all-options.toml"
    path.write_text(_uncommented(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    result = invoke("config", "validate", "--config", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "config OK: 2 domains, 2 environments, 3 channels\n"


def test_an_environment_domain_without_an_entry_is_a_warning(
    invoke: Invoke, tmp_path: Path
) -> None:
    """Legal, but the operator most likely meant to set expectations for it."""
    path = tmp_path / "c.toml"
    path.write_text('[environments.staging]\ndomain = "other.test"\n')
    result = invoke("config", "validate", "--config", path)
    assert result.exit_code == 0
    assert "environments.staging: domain other.test has no [[domains]] entry" in result.stderr
    assert result.stdout == "config OK: 0 domains, 1 environments, 0 channels\n"
