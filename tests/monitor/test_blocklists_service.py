"""Blocklists through the services: planned per environment only when enabled, the canary's
connecting IP and envelope domain read from the stored canary result, the answer cache kept
by the App between runs. Real Knot, real databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from checks.result import CheckResult, Status
from monitor.app import App
from monitor.config import load_settings
from monitor.daemon.scheduler import planned_jobs
from monitor.engine.plan import PlanError
from monitor.services import checks as check_service
from monitor.storage import Database, ResultRepository
from tests.conftest import EditableDns

LISTS = """
[blocklists.lists.lab-ip]
zone = "bl.test"
kind = "ip"
ipv6 = true
listed = { "127.0.0.2" = "lab listing" }
[blocklists.lists.lab-dbl]
zone = "dbl.test"
kind = "domain"
listed = { "127.0.1.2" = "spam domain" }
"""


def write_settings(tmp_path: Path, nameserver: str, *, enabled: bool = True) -> Path:
    path = tmp_path / "sw.toml"
    path.write_text(
        f"""
[dns]
nameservers = ["{nameserver}"]
retries = 0

[[domains]]
name = "rep.test"
checks = []
sending_ips = ["198.51.100.10"]

[environments.production]
domain = "rep.test"
sending_ips = ["2001:db8:5782::66"]

[blocklists]
enabled = {str(enabled).lower()}
use = ["lab-ip", "lab-dbl"]
spf_hosts = false
{LISTS}""",
        encoding="utf-8",
    )
    return path


def blocklist_result(app: App) -> CheckResult:
    outcome = check_service.run(app, env="production")
    [stored] = [s for s in outcome.results if s.result.check == "blocklists"]
    return stored.result


def canary_result(evidence: dict[str, Any]) -> CheckResult:
    return CheckResult(
        check="canary",
        kind="canary",
        subject="production",
        environment="production",
        started_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        duration_s=1.0,
        status=Status.PASS,
        evidence=evidence,
    )


def test_blocklists_are_planned_per_environment_only_when_enabled(
    tmp_path: Path, dns_server: EditableDns
) -> None:
    """Off by default (lists need your own resolver); on, `check --env` and the daemon's
    per-environment job include it, subject and environment the environment's name."""
    off = App(load_settings(write_settings(tmp_path, dns_server.address, enabled=False)))
    with pytest.raises(PlanError, match="nothing to check"):
        check_service.plan(off, env="production")
    assert [job.name for job in planned_jobs(off.settings)] == ["dns", "retention"]
    on = App(load_settings(write_settings(tmp_path, dns_server.address)))
    [spec] = check_service.plan(on, env="production")
    assert (spec.check_id, spec.subject, spec.environment) == (
        "reputation.blocklists",
        "production",
        "production",
    )
    assert spec.config.sending_ips == ("2001:db8:5782::66", "198.51.100.10")
    assert "relay.production" in [job.name for job in planned_jobs(on.settings)]
    with pytest.raises(PlanError, match="nothing to check"):
        check_service.plan(on)  # without --env: domain checks only, and rep.test has none


def test_canary_connecting_ip_and_envelope_domain_are_looked_up(
    tmp_path: Path, dns_server: EditableDns, database: Database
) -> None:
    """The receiver's recorded connecting IP and smtp.mailfrom domain join the targets."""
    with database.transaction() as session:
        ResultRepository(session).add(
            None,
            canary_result(
                {
                    "connecting_ip": "198.51.100.66",
                    "authentication_results": [
                        {
                            "value": "lab.test; spf=pass "
                            "smtp.mailfrom=bounce@listed-sender.test; dkim=pass",
                            "basis": "authserv-id",
                        }
                    ],
                }
            ),
        )
    settings = load_settings(write_settings(tmp_path, dns_server.address))
    with App(settings, shared_database=database) as app:
        result = blocklist_result(app)
    targets = {t["target"]: t for t in result.evidence["blocklists"]["targets"]}
    # a documentation address seen by the canary is discovered, so it is not queried
    assert targets["198.51.100.66"] == {
        "target": "198.51.100.66",
        "kind": "ip",
        "sources": ["canary"],
        "explicit": False,
        "queried": False,
        "skipped": targets["198.51.100.66"]["skipped"],
    }
    assert targets["listed-sender.test"]["sources"] == ["envelope_domain"]
    assert result.observations["blocklists.lab-dbl.discovered"] == "listed"
    assert "blocklists.lab-dbl.listed-sender.test" not in result.observations
    assert result.observations["blocklists.lab-ip.2001:db8:5782::66"] == "listed"
    assert result.observations["blocklists.lab-dbl.rep.test"] == "clean"


def test_answer_cache_outlives_the_run_in_one_app(
    tmp_path: Path, dns_server: EditableDns, database: Database
) -> None:
    """The daemon's App keeps the cache: a second run within the TTL asks no list."""
    settings = load_settings(write_settings(tmp_path, dns_server.address))
    with App(settings, shared_database=database) as app:
        first = blocklist_result(app)
        second = blocklist_result(app)
    assert not any(r["cached"] for r in first.evidence["blocklists"]["results"])
    assert all(r["cached"] for r in second.evidence["blocklists"]["results"])
    assert second.observations == first.observations


KEYED = """
[[domains]]
name = "rep.test"
checks = []

[environments.production]
domain = "rep.test"
sending_ips = ["198.51.100.66"]

[blocklists]
enabled = true
use = ["lab-dqs"]
spf_hosts = false
fcrdns = false
[blocklists.lists.lab-dqs]
zone = "bl.test"
kind = "ip"
listed = { "127.0.0.2" = "lab listing" }
key_env = "SW_LAB_DQS_KEY"
"""


def test_a_list_key_from_its_variable_is_queried_but_never_stored(
    tmp_path: Path, dns_server: EditableDns
) -> None:
    """A subscription list (`<key>.<zone>`) answers only through the key; the stored result
    says `<key>` where the key went, and the key itself appears nowhere in the database."""
    path = tmp_path / "sw.toml"
    path.write_text(
        f'[dns]\nnameservers = ["{dns_server.address}"]\nretries = 0\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "sw.db"}"\n{KEYED}',
        encoding="utf-8",
    )
    settings = load_settings(path)
    with App(settings, environ={"SW_LAB_DQS_KEY": "k3y-lab"}) as app:
        result = blocklist_result(app)
    [entry] = result.evidence["blocklists"]["results"]
    assert entry["status"] == "listed"  # seen only through the keyed zone
    assert entry["query"] == "66.100.51.198.<key>.bl.test"
    assert entry["reason"] == "listed (seen through the subscriber key)"
    assert b"k3y-lab" not in (tmp_path / "sw.db").read_bytes()


def test_a_list_key_variable_that_is_unset_is_a_config_error_naming_it(
    tmp_path: Path, dns_server: EditableDns
) -> None:
    """Without its key the list would answer "not listed" for everything: refuse to run."""
    from monitor.config import ConfigError

    path = tmp_path / "sw.toml"
    path.write_text(
        f'[dns]\nnameservers = ["{dns_server.address}"]\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "sw.db"}"\n{KEYED}',
        encoding="utf-8",
    )
    with App(load_settings(path), environ={}) as app, pytest.raises(ConfigError) as caught:
        check_service.run(app, env="production")
    assert "blocklists.lists.lab-dqs.key_env" in str(caught.value)
    assert "SW_LAB_DQS_KEY" in str(caught.value)
