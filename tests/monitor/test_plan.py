"""Plan: settings → CheckSpecs, with each check's Config built from the right settings."""

from __future__ import annotations

from typing import Any

import pytest

from checks.registry import CHECKS
from monitor.config import parse_settings
from monitor.engine.plan import CheckSpec, PlanError, build_plan

SETTINGS = parse_settings(
    {
        "domains": [
            {
                "name": "a.test",
                "dkim_selectors": ["s1", "s2"],
                "expect": {
                    "dmarc_policy": "reject",
                    "spf_includes": ["_spf.esp.test"],
                    "spf_ip_ranges": ["192.0.2.0/24"],
                    "min_dkim_bits": 2048,
                    "dkim_key_types": ["rsa"],
                },
            },
            {"name": "b.test", "checks": ["spf", "dmarc"]},
        ],
        "environments": {
            "staging": {"domain": "a.test", "dkim_selectors": ["stg"]},
            "production": {"domain": "a.test"},
            "elsewhere": {"domain": "c.test"},
        },
    }
)


def _by_id(specs: list[CheckSpec], subject: str) -> dict[str, Any]:
    return {s.check_id: s.config for s in specs if s.subject == subject}


def test_every_configured_domain_gets_its_checks_in_config_order() -> None:
    """No filter: all domains, all their checks, no environment."""
    specs = build_plan(SETTINGS, registry=CHECKS)
    assert [(s.subject, s.check_id) for s in specs] == [
        ("a.test", "dns.spf"),
        ("a.test", "dns.dmarc"),
        ("a.test", "dns.dkim"),
        ("a.test", "dns.mx"),
        ("a.test", "dns.mta_sts"),
        ("a.test", "dns.tlsrpt"),
        ("b.test", "dns.spf"),
        ("b.test", "dns.dmarc"),
    ]
    assert {s.environment for s in specs} == {None}


def test_each_check_config_comes_from_the_domain_expectations() -> None:
    """A renamed config field must show up here, not as a silently ignored expectation."""
    configs = _by_id(build_plan(SETTINGS, registry=CHECKS), "a.test")
    spf = configs["dns.spf"]
    assert (spf.expected_includes, spf.expected_ip_ranges) == (
        ("_spf.esp.test",),
        ("192.0.2.0/24",),
    )
    assert configs["dns.dmarc"].min_policy == "reject"
    dkim = configs["dns.dkim"]
    assert (dkim.selectors, dkim.min_key_bits, dkim.allowed_key_types) == (
        ("s1", "s2"),
        2048,
        ("rsa",),
    )
    for check_id in ("dns.mx", "dns.mta_sts", "dns.tlsrpt"):
        assert isinstance(configs[check_id], CHECKS[check_id].Config)


def test_domain_filter_selects_domains() -> None:
    """--domain narrows the run, case and trailing dot aside."""
    specs = build_plan(SETTINGS, domains=["B.test."], registry=CHECKS)
    assert {s.subject for s in specs} == {"b.test"}


def test_environment_plan_tags_results_and_uses_its_own_selectors() -> None:
    """Staging may sign with other selectors; results carry the environment name."""
    staging = build_plan(SETTINGS, env="staging", registry=CHECKS)
    assert {(s.subject, s.environment) for s in staging} == {("a.test", "staging")}
    assert _by_id(staging, "a.test")["dns.dkim"].selectors == ("stg",)
    production = build_plan(SETTINGS, env="production", registry=CHECKS)
    assert _by_id(production, "a.test")["dns.dkim"].selectors == ("s1", "s2")


def test_an_environment_domain_without_an_entry_gets_default_checks() -> None:
    """An environment's domain is always checked, with no expectations if none are set."""
    specs = build_plan(SETTINGS, env="elsewhere", registry=CHECKS)
    assert {s.subject for s in specs} == {"c.test"}
    assert len(specs) == 6
    assert _by_id(specs, "c.test")["dns.dmarc"].min_policy is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"domains": ["nope.test"]}, "unknown domain 'nope.test' (domains: a.test, b.test)"),
        ({"env": "qa"}, "unknown environment 'qa' (environments: elsewhere, production, staging)"),
        ({"env": "staging", "domains": ["a.test"]}, "either --env or --domain"),
    ],
)
def test_requests_that_cannot_be_planned_say_why(kwargs: dict[str, Any], message: str) -> None:
    """A typo in --domain or --env names what exists instead."""
    with pytest.raises(PlanError) as caught:
        build_plan(SETTINGS, registry=CHECKS, **kwargs)
    assert message in str(caught.value)


def test_a_config_without_domains_is_nothing_to_check() -> None:
    """`check` with nothing to check must not pass silently in CI."""
    with pytest.raises(PlanError, match="nothing to check"):
        build_plan(parse_settings({}), registry=CHECKS)


def test_a_check_missing_from_the_registry_is_a_plan_error() -> None:
    """A check named in the config but not registered fails before anything runs."""
    with pytest.raises(PlanError, match=r"no check registered as 'dns\.tlsrpt'"):
        build_plan(SETTINGS, registry={k: v for k, v in CHECKS.items() if k != "dns.tlsrpt"})
