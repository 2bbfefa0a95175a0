"""`senderwatch config validate`: every bad-config rule, and the shipped example config."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.monitor.cli.conftest import Invoke

REPO = Path(__file__).resolve().parents[3]
INVALID = REPO / "tests" / "config" / "invalid"
EXAMPLE = REPO / "config.example.toml"

# fixture file → the problem lines expected after "<path>: " (all of them, in order)
CASES: dict[str, list[str]] = {
    "sender_without_matcher.toml": [
        'domains[0].senders[0]: sender "Mailchimp" needs spf_include, ip_ranges or '
        "ptr_suffixes to recognise its sources"
    ],
    "report_folders_clash.toml": [
        "environments.production.reports: folder, processed_folder and invalid_folder "
        "must all differ"
    ],
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
    "several_bad_nameservers.toml": [
        'dns.nameservers[1]: must be an IP address with optional ":port"; got "dns.example.test"',
        'dns.nameservers[2]: port out of range; got "192.0.2.54:0"',
        'dns.nameservers[3]: must be an IP address with optional ":port"; got "[2001:db8::53]:x"',
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
    "nested_too_deeply_for_toml.toml": [
        "arrays or inline tables nested too deeply (no setting is deeper than 16)"
    ],
    "nested_deeper_than_any_setting.toml": [
        "dns.nameservers[…]: nested more than 16 levels deep; no setting is"
    ],
    "not_a_number.toml": [
        "dns.timeout: must be a number; got nan (not a number)",
        "environments.production.latency_warn: must be a finite number; got inf",
    ],
    "unknown_database_dialect.toml": [
        'database.url: SQLAlchemy has no dialect "oracle+nope" installed (sqlite and '
        'postgresql+psycopg are supported); got "oracle+nope://scott:***@db.example.test/'
        'senderwatch"'
    ],
    "database_driver_not_installed.toml": [
        "database.url: the psycopg2 driver for postgresql is not installed (no Python module "
        '"psycopg2"); got "postgresql+psycopg2://senderwatch@db.example.test/senderwatch"'
    ],
    "dkim_selector_label_too_long.toml": [
        "domains[0].dkim_selectors[0]: not a valid DKIM selector: a label is longer than 63 "
        f'characters; got "{"a" * 40}… (300 characters)"'
    ],
    "dkim_selector_name_too_long.toml": [
        "domains[0].dkim_selectors[0]: <selector>._domainkey.example.test would be 267 "
        f'characters, a DNS name has at most 253; got "{"s" * 40}… (243 characters)"'
    ],
    "several_bad_dkim_selectors.toml": [
        'domains[0].dkim_selectors[1]: not a valid DKIM selector; got "bad one"',
        'domains[0].dkim_selectors[2]: not a valid DKIM selector; got ""',
        'domains[0].dkim_selectors[3]: not a valid DKIM selector; got "-dash"',
    ],
    "bad_webhook_url.toml": [
        "alerts.channels[0].url: must be an http(s) URL (it contains spaces or control "
        'characters); got "not a url"',
        "alerts.channels[1].url: must be an http(s) URL with a host name; "
        'got "https:///path-without-host"',
    ],
    "unknown_channel_kind.toml": [
        'alerts.channels[0].kind: unknown kind "pagerduty"; known kinds: slack, webhook, email'
    ],
    "missing_channel_kind.toml": [
        "alerts.channels[0].kind: required key is missing; known kinds: slack, webhook, email"
    ],
    "unknown_inbox_kind.toml": [
        'environments.production.inbox.kind: unknown kind "pop3"; known kinds: imap, maildir'
    ],
    "key_of_another_kind.toml": [
        'alerts.channels[0].url: unknown key for kind = "slack" (it is a key of kind = "webhook")'
    ],
    "unknown_sending_path.toml": [
        "environments.production.ses: unknown key; sending paths are: smtp, http"
    ],
    "all_rule_problems_reported.toml": [
        'environments.production.from: from "canary@elsewhere.test" is not at domain '
        '"example.test" or a subdomain: the canary would not prove this domain\'s authentication',
        'environments.production.to: must be an email address; got "seed"',
        'environments.production.smtp: security = "none" is allowed only for a loopback host; '
        'got host "smtp.example.test"',
        "environments.production.smtp: password_env is set but username is missing",
        "environments.production.smtp: client_key_file is set but client_cert_file is missing",
        "environments.production.inbox: trusted_authserv_ids is empty: name the receiver's "
        "authserv-id(s); an Authentication-Results header from anyone else is never trusted",
    ],
    "bad_blocklists.toml": [
        'domains[0].sending_ips[1]: not an IP address; got "192.0.2.0/24"',
        "blocklists.lists.corp.listed.10.0.0.2: return codes are in 127.0.0.0/8 "
        "(RFC 5782 §2.1); got 10.0.0.2",
    ],
    "bad_blocklist_names.toml": [
        'blocklists.lists.corp: list "corp" is not in the catalogue (spamhaus-zen, '
        "spamhaus-dbl, spamcop, barracuda, surbl): give it a zone and a kind",
        'blocklists.use[1]: unknown list "nolist": use a catalogue name (spamhaus-zen, '
        "spamhaus-dbl, spamcop, barracuda, surbl) or define it under [blocklists.lists]",
    ],
    "duplicate_channel.toml": [
        'alerts.channels: channel "oncall" is defined twice (channels[0] and channels[1])'
    ],
    "duration_too_long.toml": [
        'alerts.channels[0].repeat_interval: is too long for a duration; got "9999999999999999d"'
    ],
    "duration_without_unit.toml": [
        'alerts.delivery.wait: must be a duration such as "90s", "30m", "4h" or "1d"; got 30'
    ],
    "retry_after_max_over_an_hour.toml": [
        "alerts.delivery.retry_after_max: must be between 0s and 1h"
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
    assert result.stdout == "config OK: 2 domains, 1 environment, 0 channels\n"


def test_the_demo_config_validates(invoke: Invoke) -> None:
    """docs/demo.toml is what the README's local try-out runs: it must load as written."""
    result = invoke("config", "validate", "--strict", "--config", REPO / "docs" / "demo.toml")
    assert result.exit_code == 0, result.output
    assert result.stdout == "config OK: 4 domains, 0 environments, 0 channels\n"


def _uncommented(text: str) -> str:
    """The example with its commented-out examples switched on: the staging environment and
    alert blocks, the daemon block, and single optional keys such as `# ca_file = ...`."""
    out, in_block = [], False
    for line in text.splitlines():
        if line.startswith(
            (
                "# [environments.staging]",
                "# [[alerts.channels]]",
                "# [api]",
                "# [daemon]",
                "# [blocklists]",
                "# [environments.production.reports]",
            )
        ):
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
    assert result.stdout == "config OK: 0 domains, 1 environment, 0 channels\n"


SECRETS_CONFIG = """
[[domains]]
name = "example.test"

[[alerts.channels]]
name = "oncall"
kind = "slack"
webhook_url_env = "SW_TEST_SLACK_URL"

[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "https://hooks.example.test/in"
secret_env = "SW_TEST_HOOK_SECRET"
"""


def test_every_unset_secret_variable_is_a_warning_naming_key_and_variable(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user learns which variables to export before the first alert is lost; a set
    variable is never echoed."""
    monkeypatch.delenv("SW_TEST_HOOK_SECRET", raising=False)
    monkeypatch.setenv("SW_TEST_SLACK_URL", "https://hooks.slack.test/services/T0/B0/s3cr3tvalue")
    path = tmp_path / "c.toml"
    path.write_text(SECRETS_CONFIG, encoding="utf-8")
    result = invoke("config", "validate", "--config", path)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}: warning: alerts.channels[1].secret_env: environment variable "
        "SW_TEST_HOOK_SECRET is not set"
    ]
    assert "s3cr3tvalue" not in result.output


def test_an_empty_secret_variable_is_a_warning_too(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exported but empty variable is as unusable as a missing one (and read as such)."""
    monkeypatch.setenv("SW_TEST_HOOK_SECRET", "")
    monkeypatch.setenv("SW_TEST_SLACK_URL", "https://hooks.slack.test/services/T0/B0/x")
    path = tmp_path / "c.toml"
    path.write_text(SECRETS_CONFIG, encoding="utf-8")
    result = invoke("config", "validate", "--config", path)
    assert "secret_env: environment variable SW_TEST_HOOK_SECRET is empty" in result.stderr


def test_secret_warnings_cover_environment_tables_and_header_maps(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `*_env` key is found by name, including headers_env maps, with its key path."""
    for variable in ("PROD_SMTP_PASSWORD", "PROD_IMAP_PASSWORD", "STAGING_ESP_KEY"):
        monkeypatch.delenv(variable, raising=False)
    result = invoke("config", "validate", "--config", EXAMPLE)
    assert result.exit_code == 0
    warned = [line.split(": warning: ", 1)[1] for line in result.stderr.splitlines()]
    assert warned == [
        "environments.production.smtp.password_env: environment variable PROD_SMTP_PASSWORD "
        "is not set",
        "environments.production.inbox.password_env: environment variable PROD_IMAP_PASSWORD "
        "is not set",
    ]


def test_a_config_with_nothing_to_check_is_a_warning(invoke: Invoke, tmp_path: Path) -> None:
    """Valid but idle: no domains and no environments means every run checks nothing."""
    path = tmp_path / "c.toml"
    path.write_text("[dns]\ntimeout = 2.0\n", encoding="utf-8")
    result = invoke("config", "validate", "--config", path)
    assert result.exit_code == 0
    assert result.stderr == (
        f"{path}: warning: nothing to check: no [[domains]] and no [environments.*] tables "
        "(see config.example.toml for both)\n"
    )


def test_strict_turns_warnings_into_exit_2(invoke: Invoke, tmp_path: Path) -> None:
    """CI can refuse a config that is legal but most likely wrong."""
    path = tmp_path / "c.toml"
    path.write_text("", encoding="utf-8")
    result = invoke("config", "validate", "--strict", "--config", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"{path}: 1 warning and --strict: not OK"


def test_strict_passes_a_config_without_warnings(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--strict is not stricter than the rules: a clean config still exits 0."""
    monkeypatch.setenv("SW_TEST_HOOK_SECRET", "whsec_x")
    monkeypatch.setenv("SW_TEST_SLACK_URL", "https://hooks.slack.test/x")
    path = tmp_path / "c.toml"
    path.write_text(SECRETS_CONFIG, encoding="utf-8")
    result = invoke("config", "validate", "--strict", "--config", path)
    assert (result.exit_code, result.stderr) == (0, "")


def test_a_missing_default_config_says_how_to_start_one(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --config and no ./senderwatch.toml: the first run points at config.example.toml."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SENDERWATCH_CONFIG", raising=False)
    result = invoke("config", "validate")
    assert result.exit_code == 2
    first, hint = result.stderr.splitlines()
    assert first == "senderwatch.toml: file not found"
    assert hint.startswith("no config file: `senderwatch check DOMAIN` checks a domain without")
    assert "start from config.example.toml" in hint


def test_validating_a_config_imports_no_dns_database_or_http_stack() -> None:
    """`config validate` stays quick: loading and linting the full example, and checking a
    PostgreSQL URL's driver, imports neither dnspython, SQLAlchemy, the driver, checkdmarc,
    requests nor the IMAP client."""
    code = (
        "import sys\n"
        "from monitor.config import load_settings, parse_settings\n"
        "from monitor.config.warnings import config_warnings\n"
        f"config_warnings(load_settings({str(EXAMPLE)!r}))\n"
        "parse_settings({'database': {'url': 'postgresql+psycopg://u:pw@db.test/sw'}})\n"
        "heavy = {'dns', 'sqlalchemy', 'psycopg', 'checkdmarc', 'requests', 'imapclient'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout == "[]\n", out.stderr
