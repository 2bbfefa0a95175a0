"""`senderwatch check` against the real Knot server and the real check registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from monitor.storage import BaselineRepository, DriftRepository, ResultRepository, open_database
from tests.conftest import EditableDns
from tests.monitor._docs import assert_valid_check_document
from tests.monitor.cli.conftest import Invoke, WriteConfig
from tests.support.bad_dns import BlackholeDns


def _json(stdout: str) -> dict:
    return json.loads(stdout)


def test_a_sound_domain_passes_and_becomes_the_baseline(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke, tmp_path: Path
) -> None:
    """First run: exit 0, one stored run with every result, each result its key's baseline."""
    config = write_config(nameserver=dns_server.address)
    result = invoke("check", "--config", config, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = _json(result.stdout)
    assert_valid_check_document(doc)
    assert (doc["version"], doc["status"], doc["drifts"]) == (1, "pass", [])
    assert [(r["check"], r["subject"], r["status"]) for r in doc["results"]] == [
        ("spf", "core-drift.test", "pass"),
        ("dmarc", "core-drift.test", "pass"),
        ("dkim", "core-drift.test", "pass"),
        ("mx", "core-drift.test", "pass"),
    ]
    db = open_database(f"sqlite:///{tmp_path / 'senderwatch.db'}")
    with db.transaction() as session:
        stored = ResultRepository(session).of_run(doc["run_id"])
        baselines = BaselineRepository(session).current_all()
    db.dispose()
    assert len(stored) == 4
    assert {b.check for b in baselines} == {"spf", "dmarc", "dkim", "mx"}
    assert {b.approved_by for b in baselines} == {"senderwatch (first result)"}


def test_weakened_dmarc_policy_is_critical_drift_until_approved(
    editable_dns: EditableDns, write_config: WriteConfig, invoke: Invoke, database_url: str
) -> None:
    """The drift end to end: reject → none fails the run until a person accepts it."""
    config = write_config(nameserver=editable_dns.address, database_url=database_url)
    first = invoke("check", "--config", config, "--format", "json")
    assert first.exit_code == 0, first.output

    editable_dns.edit("core-drift.test", "p=reject;", "p=none;")
    weakened = invoke("check", "--config", config, "--format", "json")
    assert weakened.exit_code == 1, weakened.output
    doc = _json(weakened.stdout)
    assert_valid_check_document(doc)
    assert doc["status"] == "fail"
    # sp and np follow p when the record does not set them (RFC 7489 §6.3, RFC 9989).
    assert [d["key"] for d in doc["drifts"]] == ["dmarc.np", "dmarc.p", "dmarc.sp"]
    assert doc["drifts"][1] == {
        "check": "dmarc",
        "subject": "core-drift.test",
        "environment": None,
        "key": "dmarc.p",
        "before": "reject",
        "after": "none",
        "direction": "weakened",
        "severity": "critical",
    }
    db = open_database(database_url)
    with db.transaction() as session:
        stored = DriftRepository(session).open()
    assert [(d.drift.key, d.drift.before, d.drift.after) for d in stored] == [
        (key, "reject", "none") for key in ("dmarc.np", "dmarc.p", "dmarc.sp")
    ]
    assert {d.drift.severity.value for d in stored} == {"critical"}
    dmarc_result = next(r for r in doc["results"] if r["check"] == "dmarc")
    assert dmarc_result["observations"]["dmarc.p"] == "none"

    shown = invoke("baseline", "show", "--config", config, "--format", "json")
    assert [d["key"] for d in _json(shown.stdout)["drifts"]] == ["dmarc.np", "dmarc.p", "dmarc.sp"]

    approved = invoke(
        "baseline", "approve", "--config", config, "--domain", "core-drift.test",
        "--check", "dmarc", "--reason", "moving to a new ESP", "--by", "ana",
    )  # fmt: skip
    assert approved.exit_code == 0, approved.output
    assert "approved dmarc core-drift.test" in approved.stdout
    assert "3 drifts accepted" in approved.stdout

    after = invoke("check", "--config", config, "--format", "json")
    assert after.exit_code == 0, after.output
    assert _json(after.stdout)["drifts"] == []
    with db.transaction() as session:
        history = BaselineRepository(session).history("dmarc", "core-drift.test", None)
        assert DriftRepository(session).open() == []
    db.dispose()
    assert [(b.approved_by, b.observations["dmarc.p"]) for b in history] == [
        ("senderwatch (first result)", "reject"),
        ("ana", "none"),
    ]
    assert history[1].reason == "moving to a new ESP"


def test_a_dns_server_that_never_answers_is_exit_3_without_drift_or_baseline_change(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke, tmp_path: Path
) -> None:
    """Could-not-measure must neither page as drift nor move the baseline."""
    good = write_config(nameserver=dns_server.address)
    assert invoke("check", "--config", good).exit_code == 0
    with BlackholeDns() as blackhole:
        blind = write_config("blind.toml", nameserver=blackhole.address, timeout=0.3)
        result = invoke("check", "--config", blind, "--format", "json")
    assert result.exit_code == 3, result.output
    doc = _json(result.stdout)
    assert doc["status"] == "error"
    assert {r["status"] for r in doc["results"]} == {"error"}
    assert doc["drifts"] == []
    db = open_database(f"sqlite:///{tmp_path / 'senderwatch.db'}")
    with db.transaction() as session:
        baselines = BaselineRepository(session).current_all()
        assert DriftRepository(session).open() == []
    db.dispose()
    assert {b.approved_by for b in baselines} == {"senderwatch (first result)"}
    assert len(baselines) == 4


def test_a_failing_check_is_exit_1_and_the_text_table_says_why(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke
) -> None:
    """p=none where reject is expected fails on findings alone, readable without colour."""
    config = write_config(
        nameserver=dns_server.address,
        domains=["core-fail.test"],
        checks=["dmarc"],
    )
    text = config.read_text().replace(
        'checks = ["dmarc"]', 'checks = ["dmarc"]\n[domains.expect]\ndmarc_policy = "reject"'
    )
    config.write_text(text)
    result = invoke("check", "--config", config)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["fail", "dmarc", "core-fail.test", "-"]
    assert any("dmarc.policy_below_expected" in line for line in lines)
    assert lines[-1].endswith(": FAIL")
    assert "\x1b[" not in result.stdout


def test_env_option_tags_results_with_the_environment(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke
) -> None:
    """--env checks that environment's domain; results and baselines carry its name."""
    config = write_config(
        nameserver=dns_server.address,
        extra='[environments.staging]\ndomain = "core-drift.test"\n',
    )
    result = invoke("check", "--config", config, "--env", "staging", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = _json(result.stdout)
    assert {(r["subject"], r["environment"]) for r in doc["results"]} == {
        ("core-drift.test", "staging")
    }
    shown = _json(invoke("baseline", "show", "--config", config, "--format", "json").stdout)
    assert {b["environment"] for b in shown["baselines"]} == {"staging"}


def test_junit_file_has_one_testcase_per_result(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke, tmp_path: Path
) -> None:
    """Deploy pipelines get a JUnit report next to the exit code."""
    config = write_config(
        nameserver=dns_server.address, domains=["core-drift.test", "core-fail.test"]
    )
    junit = tmp_path / "out" / "senderwatch.xml"
    junit.parent.mkdir()
    result = invoke("check", "--config", config, "--junit", junit)
    assert result.exit_code in (0, 1), result.output
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "8"
    names = {(c.get("classname"), c.get("name")) for c in suite.findall("testcase")}
    assert ("core-fail.test", "dns.dkim") in names
    assert ("core-drift.test", "dns.spf") in names


def test_unknown_domain_and_environment_are_usage_errors(
    dns_server: EditableDns, write_config: WriteConfig, invoke: Invoke
) -> None:
    """A typo exits 2 naming what exists, before anything is run or stored."""
    config = write_config(nameserver=dns_server.address)
    result = invoke("check", "--config", config, "--domain", "nope.test")
    assert result.exit_code == 2
    assert "unknown domain 'nope.test' (domains: core-drift.test)" in result.stderr
    result = invoke("check", "--config", config, "--env", "qa")
    assert result.exit_code == 2
    assert "unknown environment 'qa'" in result.stderr


def test_broken_config_is_exit_2_with_every_problem(
    write_config: WriteConfig, invoke: Invoke, tmp_path: Path
) -> None:
    """check refuses to run on a config that does not validate."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[dns]\ntimeout = "slow"\nbogus = 1\n')
    result = invoke("check", "--config", bad)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f'{bad}: dns.timeout: must be a number; got "slow"',
        f"{bad}: dns.bogus: unknown key",
    ]


def test_installed_console_script_runs_a_check(
    dns_server: EditableDns, write_config: WriteConfig, tmp_path: Path
) -> None:
    """The real `senderwatch` executable, as a deploy pipeline calls it, in a pipe."""
    config = write_config(nameserver=dns_server.address)
    executable = Path(sys.executable).parent / "senderwatch"
    assert executable.exists(), f"console script missing: pip install -e . ({executable})"
    env = {k: v for k, v in os.environ.items() if k != "SENDERWATCH_CONFIG"}
    env["SENDERWATCH_CONFIG"] = str(config)
    proc = subprocess.run(
        [str(executable), "check", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "pass"
    assert len(doc["results"]) == 4
    # No progress bar when stderr is not a terminal; only where the new database went.
    assert proc.stderr == f"senderwatch: created database {tmp_path / 'senderwatch.db'}\n"


def test_dns_that_never_answers_is_said_once_not_as_critical_lines(
    write_config: WriteConfig, invoke: Invoke
) -> None:
    """Twelve "critical dns.timeout" lines bury the one fact that matters: DNS is unreachable.
    It is said once, names the server, and nothing unmeasured is labelled critical."""
    with BlackholeDns() as blackhole:
        blind = write_config(
            nameserver=blackhole.address,
            timeout=0.2,
            domains=("core-drift.test", "core-fail.test", "dmarc-none.test"),
        )
        result = invoke("check", "--config", blind)
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    said = [line for line in lines if "no answer from" in line]
    assert said == [
        f"error: no answer from {blackhole.address} for 12 checks (DNS timeout or network "
        "unreachable): is DNS reachable from here?"
    ]
    assert not any("critical" in line for line in lines)
    assert not any("dns.timeout" in line for line in lines)
    assert lines[-1].startswith("run 1: 12 checks (12 error); no drift: ERROR")


def test_one_unanswered_check_keeps_its_own_line_labelled_error(
    write_config: WriteConfig, invoke: Invoke
) -> None:
    """A single timeout is shown under its check, as `error`, never as `critical`."""
    with BlackholeDns() as blackhole:
        blind = write_config(nameserver=blackhole.address, timeout=0.2, checks=("mx",))
        result = invoke("check", "--config", blind)
    assert result.exit_code == 3
    assert "    error    dns.timeout: Could not measure" in result.stdout
    assert "critical" not in result.stdout


def test_check_without_a_config_file_checks_the_named_domains(
    dns_server: EditableDns, tmp_path: Path
) -> None:
    """`senderwatch check DOMAIN --selector s1` works with no config file, like checkdmarc,
    and says why it failed in one line per problem."""
    env = {k: v for k, v in os.environ.items() if k != "SENDERWATCH_CONFIG"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "monitor", "check", "core-drift.test", "core-fail.test"),
            *("--selector", "s1", "--nameserver", dns_server.address, "--format", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert_valid_check_document(doc)
    assert {r["subject"] for r in doc["results"]} == {"core-drift.test", "core-fail.test"}
    assert len(doc["results"]) == 12
    statuses = {(r["subject"], r["check"]): r["status"] for r in doc["results"]}
    assert statuses[("core-drift.test", "dkim")] == "pass"
    assert statuses[("core-fail.test", "dkim")] == "fail"  # no key at s1


def test_check_without_config_and_without_a_domain_says_how_to_start(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No config and nothing named: exit 2, pointing at the ways to start."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SENDERWATCH_CONFIG", raising=False)
    result = invoke("check")
    assert result.exit_code == 2
    assert "senderwatch check DOMAIN" in result.stderr
    assert "config.example.toml" in result.stderr
