"""DmarcCheck against real zones served by Knot: one row per published situation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from checks.base import CheckContext
from checks.dns.dmarc import Config, DmarcCheck
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Status

if TYPE_CHECKING:
    from tests.conftest import EditableDns

FIXED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def run(resolver: Resolver, domain: str, config: Config | None = None) -> CheckResult:
    ctx = CheckContext(resolver=resolver, clock=lambda: FIXED, environment="prod")
    return DmarcCheck().run(domain, config or Config(), ctx)


# (domain, config, status, codes, observations that must hold)
CASES = [
    (
        "healthy.test",
        Config(min_policy="reject"),
        Status.PASS,
        set(),
        {
            "dmarc.present": True,
            "dmarc.source": "domain",
            "dmarc.p": "reject",
            "dmarc.sp": "reject",
            "dmarc.np": "reject",
            "dmarc.pct": 100,
            "dmarc.t": "n",
            "dmarc.adkim": "s",
            "dmarc.aspf": "s",
            "dmarc.rua": "mailto:dmarc-reports@healthy.test",
            "dmarc.ruf": "",
            "dmarc.fo": "0",
        },
    ),
    (
        "dmarc-missing.test",
        Config(),
        Status.FAIL,
        {"dmarc.missing", "dmarc.unrelated_txt"},
        {"dmarc.present": False},
    ),
    (
        "dmarc-none.test",
        Config(),
        Status.WARN,
        {"dmarc.policy_none"},
        {"dmarc.p": "none", "dmarc.sp": "none", "dmarc.np": "none"},
    ),
    (
        "dmarc-none.test",
        Config(min_policy="quarantine"),
        Status.FAIL,
        {"dmarc.policy_none", "dmarc.policy_below_expected"},
        {"dmarc.p": "none"},
    ),
    (
        "dmarc-pct.test",
        Config(),
        Status.WARN,
        {"dmarc.pct_partial", "dmarc.removed_tag"},
        {"dmarc.p": "quarantine", "dmarc.pct": 50},
    ),
    ("dmarc-testing.test", Config(), Status.WARN, {"dmarc.testing"}, {"dmarc.t": "y"}),
    (
        "dmarc-trailing.test",
        Config(min_policy="reject"),
        Status.PASS,
        {"dmarc.unknown_tag"},
        {"dmarc.p": "reject", "dmarc.rua": "mailto:dmarc@dmarc-trailing.test"},
    ),
    (
        "dmarc-syntax.test",
        Config(),
        Status.FAIL,
        {"dmarc.syntax_error"},
        {"dmarc.present": True, "dmarc.source": "domain"},
    ),
    ("dmarc-multi.test", Config(), Status.FAIL, {"dmarc.multiple_records"}, {}),
    (
        "dmarc-spweak.test",
        Config(),
        Status.WARN,
        {"dmarc.sp_weaker"},
        {"dmarc.p": "reject", "dmarc.sp": "none", "dmarc.np": "none"},
    ),
    (
        "dmarc-extrua.test",
        Config(),
        Status.WARN,
        {"dmarc.external_destination_unauthorized"},
        {"dmarc.rua": "mailto:agg@reports-noauth.test"},
    ),
    (
        "dmarc-extauth.test",
        Config(min_policy="reject"),
        Status.PASS,
        {"dmarc.uri_size_obsolete"},
        {
            "dmarc.rua": "mailto:agg@reports-ok.test,mailto:copy@reports.dmarc-extauth.test",
            "dmarc.ruf": "mailto:fail@reports.dmarc-extauth.test",
        },
    ),
    (
        "mail.dmarc-org.test",
        Config(min_policy="reject"),
        Status.FAIL,
        {"dmarc.sp_weaker", "dmarc.policy_below_expected"},
        {"dmarc.source": "organizational", "dmarc.p": "reject", "dmarc.sp": "quarantine"},
    ),
    (
        "mail.dept.dmarc-treewalk.test",
        Config(),
        Status.PASS,
        {"dmarc.rfc9989_view_differs"},
        {"dmarc.source": "organizational", "dmarc.p": "reject"},
    ),
    ("dmarc-cname.test", Config(), Status.PASS, set(), {"dmarc.p": "quarantine"}),
    (
        "bücher.test",
        Config(min_policy="quarantine"),
        Status.PASS,
        set(),
        {"dmarc.p": "quarantine", "dmarc.rua": "mailto:dmarc@xn--bcher-kva.test"},
    ),
]


@pytest.mark.parametrize(
    ("domain", "config", "status", "codes", "observations"),
    CASES,
    ids=[f"{c[0]}-{c[1].min_policy}" for c in CASES],
)
def test_dmarc_case_table(
    resolver: Resolver,
    domain: str,
    config: Config,
    status: Status,
    codes: set[str],
    observations: dict[str, object],
) -> None:
    """Each published DMARC situation gets its status, its stable codes and its facts."""
    result = run(resolver, domain, config)
    assert result.status is status, result.findings
    assert result.codes() == codes
    for key, value in observations.items():
        assert result.observations[key] == value, key


def test_result_envelope_names_check_subject_environment_and_version(resolver: Resolver) -> None:
    """Results are keyed by check, subject and environment; versions prevent false drift."""
    result = run(resolver, "bücher.test")
    assert (result.check, result.kind, result.subject) == ("dmarc", "dns", "bücher.test")
    assert result.environment == "prod"
    assert result.started_at == FIXED
    assert result.duration_s >= 0
    assert result.versions == {"checkdmarc": "6.0.4"}


def test_healthy_domain_keeps_its_record_in_evidence(resolver: Resolver) -> None:
    """The debug view shows the record and where it was found."""
    result = run(resolver, "healthy.test")
    assert result.evidence["record_name"] == "_dmarc.healthy.test"
    assert result.evidence["record"].startswith("v=DMARC1; p=reject")


def test_syntax_error_names_the_tag_and_keeps_the_record_text(resolver: Resolver) -> None:
    """Users must see what to fix and the record as published (checkdmarc #234, #182)."""
    result = run(resolver, "dmarc-syntax.test")
    (finding,) = result.findings
    assert finding.details["tag"] == "p"
    assert finding.details["value"] == "rejekt"
    assert "rejekt" in result.evidence["record"]
    assert "dmarc.p" not in result.observations


def test_subdomain_falls_back_to_the_organizational_record(resolver: Resolver) -> None:
    """A subdomain without its own record inherits the organizational one, and says from where."""
    result = run(resolver, "mail.dmarc-org.test", Config(min_policy="reject"))
    assert result.evidence["record_name"] == "_dmarc.dmarc-org.test"
    below = next(f for f in result.findings if f.code == "dmarc.policy_below_expected")
    assert below.details["tag"] == "sp"
    assert below.details["policy"] == "quarantine"


def test_tree_walk_view_is_reported_when_it_differs(resolver: Resolver) -> None:
    """RFC 9989 receivers stop at psd=n; the monitor shows that they see another policy."""
    result = run(resolver, "mail.dept.dmarc-treewalk.test")
    differs = next(f for f in result.findings if f.code == "dmarc.rfc9989_view_differs")
    assert differs.details == {
        "rfc7489": "_dmarc.dmarc-treewalk.test",
        "rfc9989": "_dmarc.dept.dmarc-treewalk.test",
    }
    assert "p=none" in result.evidence["rfc9989"]["record"]


def test_unauthorised_destination_finding_names_the_name_asked(resolver: Resolver) -> None:
    """The operator must know which TXT record the report processor has to publish."""
    result = run(resolver, "dmarc-extrua.test")
    (finding,) = result.findings
    assert finding.details["asked"] == "dmarc-extrua.test._report._dmarc.reports-noauth.test"
    assert finding.details["destination"] == "reports-noauth.test"


def test_same_organization_destination_is_not_asked_for_authorisation(resolver: Resolver) -> None:
    """reports.example.com needs no authorisation for example.com (checkdmarc #21, #23)."""
    result = run(resolver, "dmarc-extauth.test")
    asked = [entry["name"] for entry in result.evidence["report_authorizations"]]
    assert asked == ["dmarc-extauth.test._report._dmarc.reports-ok.test"]


def test_healthy_domain_costs_one_query(resolver: Resolver) -> None:
    """2,000 domains at 20 ms per query: a healthy domain must not cost more than it needs."""
    run(resolver, "healthy.test")
    assert resolver.queries_sent == 1


def test_missing_record_is_not_an_error_status(resolver: Resolver) -> None:
    """A record that is not there is measured (FAIL), not unmeasurable (ERROR)."""
    result = run(resolver, "dmarc-missing.test")
    assert not any(f.unmeasurable for f in result.findings)


def test_a_zone_edit_between_two_runs_is_seen(editable_dns: EditableDns) -> None:
    """No cache (ours or checkdmarc's DNS_CACHE) may hide a weakened policy from the next run."""
    base = editable_dns.resolver()
    first = run(base.fresh(), "healthy.test")
    assert first.observations["dmarc.p"] == "reject"
    editable_dns.edit("healthy.test", "v=DMARC1; p=reject;", "v=DMARC1; p=none;")
    second = run(base.fresh(), "healthy.test")
    assert second.observations["dmarc.p"] == "none"
    assert "dmarc.policy_none" in second.codes()


def test_unknown_min_policy_is_refused_at_construction() -> None:
    """A typo in the expected policy must fail loudly, not silently expect nothing."""
    with pytest.raises(ValueError, match="min_policy"):
        Config(min_policy="rejekt")
