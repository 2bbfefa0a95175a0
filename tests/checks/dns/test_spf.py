"""SpfCheck against real zones served by Knot: one row per published SPF situation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from checks.base import CheckContext
from checks.dns.resolver import Resolver
from checks.dns.spf import Config, SpfCheck
from checks.result import CheckResult, Status

FIXED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
B = "spf-basic.test"
L = "spf-limits.test"
MAILER = {
    "spf.include._spf.esp-mailer.test": True,
    "spf.include._nb1.esp-mailer.test": True,
    "spf.include._nb2.esp-mailer.test": True,
    "spf.include._nb3.esp-mailer.test": True,
}


def run(resolver: Resolver, domain: str, config: Config | None = None) -> CheckResult:
    ctx = CheckContext(resolver=resolver, clock=lambda: FIXED, environment="prod")
    return SpfCheck().run(domain, config or Config(), ctx)


# (domain, config, status, codes (exactly), observations that must hold)
CASES: list[tuple[str, Config, Status, set[str], dict[str, Any]]] = [
    (
        f"healthy.{B}",
        Config(),
        Status.PASS,
        set(),
        {
            "spf.present": True,
            "spf.all": "-all",
            "spf.lookups": 4,
            "spf.void_lookups": 0,
            "spf.within_limits": True,
            "spf.ip4": "192.0.2.0/24",
            "spf.ip6": "2001:db8:10::/48",
            **MAILER,
        },
    ),
    (
        f"over.{L}",
        Config(),
        Status.FAIL,
        {"spf.too_many_lookups"},
        {"spf.lookups": 13, "spf.within_limits": False, "spf.include._l3.esp-chain.test": True},
    ),
    (f"ten.{L}", Config(), Status.PASS, set(), {"spf.lookups": 10, "spf.within_limits": True}),
    (
        f"over.{L}",
        Config(max_lookups=15),
        Status.PASS,
        set(),
        {"spf.lookups": 13, "spf.within_limits": True},
    ),
    (
        f"voids.{L}",
        Config(),
        Status.FAIL,
        {"spf.too_many_void_lookups"},
        {"spf.lookups": 3, "spf.void_lookups": 3, "spf.within_limits": False},
    ),
    (
        f"voids-ok.{L}",
        Config(),
        Status.PASS,
        set(),
        {"spf.lookups": 2, "spf.void_lookups": 2, "spf.within_limits": True},
    ),
    (
        f"voids-exists.{L}",
        Config(),
        Status.FAIL,
        {"spf.too_many_void_lookups"},
        {"spf.lookups": 3, "spf.void_lookups": 3},
    ),
    (
        f"voids-mx.{L}",
        Config(),
        Status.FAIL,
        {"spf.too_many_void_lookups"},
        {"spf.lookups": 3, "spf.void_lookups": 3},
    ),
    (
        f"voids-in-redirect.{L}",
        Config(),
        Status.FAIL,
        {"spf.too_many_void_lookups"},
        {"spf.lookups": 4, "spf.void_lookups": 3, "spf.all": "-all"},
    ),
    (
        f"voids.{L}",
        Config(max_void_lookups=3),
        Status.PASS,
        set(),
        {"spf.void_lookups": 3, "spf.within_limits": True},
    ),
    (
        f"void-redirect.{L}",
        Config(),
        Status.FAIL,
        {"spf.too_many_void_lookups"},
        {"spf.lookups": 4, "spf.void_lookups": 3, "spf.all": "-all"},
    ),
    (
        f"two.{B}",
        Config(),
        Status.FAIL,
        {"spf.multiple_records"},
        {"spf.present": True},
    ),
    (f"plusall.{B}", Config(), Status.FAIL, {"spf.all_pass"}, {"spf.all": "+all"}),
    (
        f"openinclude.{B}",
        Config(),
        Status.FAIL,
        {"spf.all_pass"},
        {"spf.all": "-all", "spf.include.open.spf-basic.test": True},
    ),
    (f"neutral.{B}", Config(), Status.WARN, {"spf.all_neutral"}, {"spf.all": "?all"}),
    (f"softfail.{B}", Config(), Status.PASS, {"spf.all_softfail"}, {"spf.all": "~all"}),
    (f"noall.{B}", Config(), Status.WARN, {"spf.no_all"}, {"spf.all": "none"}),
    (
        f"redirect.{B}",
        Config(),
        Status.PASS,
        {"spf.all_softfail"},
        {"spf.all": "~all", "spf.lookups": 4, "spf.ip4": "", **MAILER},
    ),
    (
        f"redirect-all.{B}",
        Config(),
        Status.PASS,
        {"spf.redirect_ignored"},
        {"spf.all": "-all", "spf.lookups": 0, "spf.ip4": "192.0.2.0/24"},
    ),
    (
        f"redirect-none.{B}",
        Config(),
        Status.FAIL,
        {"spf.redirect_no_record"},
        {"spf.all": "none", "spf.lookups": 1},
    ),
    (
        f"split.{B}",
        Config(),
        Status.PASS,
        set(),
        {"spf.all": "-all", "spf.lookups": 4, "spf.ip4": "192.0.2.0/24", **MAILER},
    ),
    (
        f"mx11.{L}",
        Config(),
        Status.FAIL,
        {"spf.mx_too_many_hosts"},
        {"spf.lookups": 1, "spf.within_limits": False},
    ),
    (f"mx10.{L}", Config(), Status.PASS, set(), {"spf.lookups": 1, "spf.within_limits": True}),
    (f"mxcount.{L}", Config(), Status.PASS, set(), {"spf.lookups": 8, "spf.void_lookups": 0}),
    (f"exp10.{L}", Config(), Status.PASS, set(), {"spf.lookups": 10, "spf.within_limits": True}),
    (
        f"macro.{B}",
        Config(),
        Status.PASS,
        set(),
        {"spf.lookups": 2, "spf.void_lookups": 0, "spf.all": "-all"},
    ),
    (f"ptr.{B}", Config(), Status.WARN, {"spf.ptr_deprecated"}, {"spf.lookups": 1}),
    (
        f"inc-none.{B}",
        Config(),
        Status.FAIL,
        {"spf.include_no_record"},
        {"spf.lookups": 1, "spf.void_lookups": 0},
    ),
    (
        f"inc-nx.{B}",
        Config(),
        Status.FAIL,
        {"spf.include_no_record"},
        {"spf.lookups": 1, "spf.void_lookups": 1},
    ),
    (f"loop-a.{B}", Config(), Status.FAIL, {"spf.loop"}, {"spf.lookups": 2}),
    (f"selfloop.{B}", Config(), Status.FAIL, {"spf.loop"}, {"spf.lookups": 1, "spf.all": "none"}),
    (
        f"diamond.{B}",
        Config(),
        Status.PASS,
        set(),
        {"spf.lookups": 4, "spf.include.dshared.spf-basic.test": True},
    ),
    (f"syntax.{B}", Config(), Status.FAIL, {"spf.syntax_error"}, {"spf.present": True}),
    (f"toolong.{B}", Config(), Status.WARN, {"spf.record_too_long"}, {"spf.lookups": 0}),
    (f"rr99.{B}", Config(), Status.WARN, {"spf.rr_type_deprecated"}, {"spf.all": "-all"}),
    (
        f"missing.{B}",
        Config(),
        Status.FAIL,
        {"spf.missing"},
        {"spf.present": False, "spf.all": "none", "spf.lookups": 0},
    ),
    (f"nearmiss.{B}", Config(), Status.FAIL, {"spf.missing"}, {"spf.present": False}),
    (
        "bücher.spf-idn.test",
        Config(expected_includes=("_spf.bücher.spf-idn.test",)),
        Status.PASS,
        set(),
        {
            "spf.lookups": 1,
            "spf.include._spf.xn--bcher-kva.spf-idn.test": True,
            "spf.expected_include._spf.xn--bcher-kva.spf-idn.test": True,
        },
    ),
    (
        f"healthy.{B}",
        Config(
            expected_includes=("_spf.esp-mailer.test", "_NB3.esp-mailer.test."),
            expected_ip_ranges=("192.0.2.0/25", "198.51.100.0/24", "2001:db8:aa:1::/64"),
        ),
        Status.FAIL,
        {"spf.expected_ip_range_missing"},
        {
            "spf.expected_include._spf.esp-mailer.test": True,
            "spf.expected_include._nb3.esp-mailer.test": True,
            "spf.expected_ip_range.192.0.2.0/25": True,
            # 198.51.100.0/25 (_nb1) and .128/27 (_nb3) do not cover the whole /24.
            "spf.expected_ip_range.198.51.100.0/24": False,
            "spf.expected_ip_range.2001:db8:aa:1::/64": True,
        },
    ),
    (
        f"healthy.{B}",
        Config(expected_includes=("_spf.other-esp.test",), expected_ip_ranges=("198.51.100.0/25",)),
        Status.FAIL,
        {"spf.expected_include_missing"},
        {
            "spf.expected_include._spf.other-esp.test": False,
            "spf.expected_ip_range.198.51.100.0/25": True,
        },
    ),
    (
        f"union.{B}",
        Config(expected_ip_ranges=("192.0.2.0/24",)),
        Status.PASS,
        set(),
        {"spf.expected_ip_range.192.0.2.0/24": True, "spf.ip4": "192.0.2.0/25"},
    ),
    (
        f"union.{B}",
        Config(expected_ip_ranges=("198.51.100.0/24",)),
        Status.FAIL,
        {"spf.expected_ip_range_missing"},
        {"spf.expected_ip_range.198.51.100.0/24": False},
    ),
    (
        f"lame.{B}",
        Config(),
        Status.ERROR,
        {"dns.refused"},
        {"spf.present": True, "spf.ip4": "192.0.2.0/24", "spf.lookups": None},
    ),
    (
        f"missing.{B}",
        Config(expected_includes=("_spf.esp-mailer.test",), expected_ip_ranges=("192.0.2.0/24",)),
        Status.FAIL,
        {"spf.missing", "spf.expected_include_missing", "spf.expected_ip_range_missing"},
        {"spf.expected_include._spf.esp-mailer.test": False},
    ),
]


@pytest.mark.parametrize(
    ("domain", "config", "status", "codes", "observations"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_spf_case_table(
    resolver: Resolver,
    domain: str,
    config: Config,
    status: Status,
    codes: set[str],
    observations: dict[str, Any],
) -> None:
    """Each published situation gives the status, codes and drift facts a receiver implies."""
    result = run(resolver, domain, config)
    assert result.codes() == codes, [f.message for f in result.findings]
    assert result.status is status
    for key, value in observations.items():
        assert result.observations.get(key) == value, (key, result.observations)


def test_result_envelope_names_check_subject_and_environment(resolver: Resolver) -> None:
    """Storage and alerts key results by check id, subject and environment."""
    result = run(resolver, f"healthy.{B}")
    assert (result.check, result.kind, result.check_id) == ("spf", "dns", "dns.spf")
    assert result.subject == f"healthy.{B}"
    assert result.environment == "prod"
    assert result.started_at == FIXED
    assert result.duration_s >= 0
    assert result.versions == {}
