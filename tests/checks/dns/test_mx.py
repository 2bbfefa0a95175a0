"""MxCheck against real zones served by Knot."""

from __future__ import annotations

import pytest

from checks.base import CheckContext
from checks.dns.mx import Config, MxCheck
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Status


def run(resolver: Resolver, domain: str) -> CheckResult:
    return MxCheck().run(domain, Config(), CheckContext(resolver=resolver))


CASES = [
    (
        "healthy.test",
        Status.PASS,
        set(),
        {"mx.present": True, "mx.hosts": "10 mx1.healthy.test,20 mx2.healthy.test"},
    ),
    ("mx-missing.test", Status.FAIL, {"mx.missing"}, {"mx.present": False}),
    ("nowhere.test", Status.FAIL, {"mx.missing"}, {"mx.present": False}),
    ("mx-null.test", Status.PASS, {"mx.null"}, {"mx.present": True, "mx.hosts": "0 ."}),
    (
        "mx-badhost.test",
        Status.WARN,
        {"mx.host_unresolvable"},
        {"mx.hosts": "10 mx1.mx-badhost.test,20 gone.mx-badhost.test"},
    ),
    ("bücher.test", Status.PASS, set(), {"mx.hosts": "10 mx.xn--bcher-kva.test"}),
]


@pytest.mark.parametrize(("domain", "status", "codes", "observations"), CASES)
def test_mx_case_table(
    resolver: Resolver,
    domain: str,
    status: Status,
    codes: set[str],
    observations: dict[str, object],
) -> None:
    """Each MX situation gets its status, its stable codes and its facts."""
    result = run(resolver, domain)
    assert result.status is status, result.findings
    assert result.codes() == codes
    for key, value in observations.items():
        assert result.observations[key] == value, key


def test_ipv6_only_host_resolves_through_aaaa(resolver: Resolver) -> None:
    """A host with only AAAA is reachable; asking AAAA only when A is empty keeps it cheap."""
    result = run(resolver, "healthy.test")
    assert result.status is Status.PASS
    hosts = result.evidence["hosts"]
    assert [a["type"] for a in hosts["mx1.healthy.test"]] == ["A"]
    assert [a["type"] for a in hosts["mx2.healthy.test"]] == ["A", "AAAA"]
    assert resolver.queries_sent == 4


def test_unresolvable_host_is_named(resolver: Resolver) -> None:
    """The operator needs the host that is broken, and whether it exists at all."""
    result = run(resolver, "mx-badhost.test")
    (finding,) = result.findings
    assert finding.details == {"host": "gone.mx-badhost.test", "nxdomain": True}


def test_nonexistent_domain_is_missing_not_error(resolver: Resolver) -> None:
    """NXDOMAIN is an answer: the check measured that there is no MX."""
    result = run(resolver, "nowhere.test")
    (finding,) = result.findings
    assert finding.details == {"nxdomain": True}
    assert not finding.unmeasurable
