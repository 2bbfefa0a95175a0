"""`senderwatch baseline show|approve` around real checks against the Knot server."""

from __future__ import annotations

import json

from tests.conftest import EditableDns
from tests.monitor.cli.conftest import Invoke, WriteConfig


def test_show_lists_each_baseline_with_who_when_why(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke
) -> None:
    """After the first check every check has an automatic baseline, shown as a table."""
    config = write_config(nameserver=dns_server.address)
    assert invoke("check", "--config", config).exit_code == 0
    result = invoke("baseline", "show", "--config", config)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["check", "subject", "env", "approved", "by", "reason"]
    assert sorted(line.split()[0] for line in lines[1:5]) == ["dkim", "dmarc", "mx", "spf"]
    assert all("senderwatch (first result)" in line for line in lines[1:5])
    assert "Open drift: none" in lines


def test_show_filters_by_check_name_or_registry_id(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke
) -> None:
    """--check accepts "dmarc" and "dns.dmarc" alike."""
    config = write_config(nameserver=dns_server.address)
    invoke("check", "--config", config)
    for name in ("dmarc", "dns.dmarc"):
        result = invoke("baseline", "show", "--config", config, "--check", name, "--format", "json")
        doc = json.loads(result.stdout)
        assert [b["check"] for b in doc["baselines"]] == ["dmarc"]
        assert doc["baselines"][0]["observations"]["dmarc.p"] == "reject"


def test_show_on_a_new_database_says_there_is_nothing_yet(
    write_config: WriteConfig, invoke: Invoke
) -> None:
    """A fresh install explains the next step instead of printing an empty table."""
    config = write_config(nameserver="127.0.0.1:9")
    result = invoke("baseline", "show", "--config", config)
    assert (result.exit_code, result.stdout) == (
        0,
        "No baselines yet: run `senderwatch check` first.\n",
    )


def test_approve_requires_a_reason(write_config: WriteConfig, invoke: Invoke) -> None:
    """An approval without a why is refused before anything is written."""
    config = write_config(nameserver="127.0.0.1:9")
    result = invoke("baseline", "approve", "--config", config)
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.stderr
    blank = invoke("baseline", "approve", "--config", config, "--reason", " ")
    assert blank.exit_code == 2
    # The line before (if any) says where the new database was created.
    assert blank.stderr.splitlines()[-1] == "error: a reason is required to approve a baseline"


def test_approve_with_nothing_measured_is_a_usage_error(
    write_config: WriteConfig, invoke: Invoke
) -> None:
    """Approving a domain never checked approves nothing, says so, and exits 2 (usage)."""
    config = write_config(nameserver="127.0.0.1:9")
    result = invoke(
        "baseline", "approve", "--config", config, "--domain", "core-drift.test", "--reason", "x"
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "error: nothing to approve: no measured result matches domain core-drift.test"
    )


def test_show_names_an_unknown_domain(write_config: WriteConfig, invoke: Invoke) -> None:
    """`baseline show --domain nosuch` says the domain is unknown instead of "no baselines"."""
    config = write_config(nameserver="127.0.0.1:9")
    result = invoke("baseline", "show", "--config", config, "--domain", "nosuch.test")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        "error: unknown domain 'nosuch.test': not in the config"
    )


def test_approve_records_the_approver_and_reason(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke
) -> None:
    """Who and why are stored with the new baseline and shown afterwards."""
    config = write_config(nameserver=dns_server.address)
    invoke("check", "--config", config)
    result = invoke(
        "baseline", "approve", "--config", config, "--check", "spf",
        "--reason", "quarterly review", "--by", "bo",
    )  # fmt: skip
    assert result.exit_code == 0
    doc = json.loads(invoke("baseline", "show", "--config", config, "--format", "json").stdout)
    spf = next(b for b in doc["baselines"] if b["check"] == "spf")
    assert (spf["approved_by"], spf["reason"], spf["automatic"]) == (
        "bo",
        "quarterly review",
        False,
    )
