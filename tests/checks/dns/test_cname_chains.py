"""CNAME chains no resolver can finish, on every CNAME-following path, against real Knot zones.

A loop or a chain longer than resolvers follow (Unbound: 8) never ends in a record. Reporting it
as "missing" or "no address" sends the operator to the wrong name; falling back to the
organizational DMARC record would claim a policy receivers never read. Zones:
tests/zones/cname-broken.test.zone, chain-a.test.zone, chain-b.test.zone.
"""

from __future__ import annotations

import pytest

from checks.base import CheckContext
from checks.dns._lookup import MAX_CNAME_HOPS, CnameChainBroken, chase
from checks.dns.resolver import Resolver
from checks.registry import CHECKS
from checks.result import CheckResult, Severity, Status

LOOPED = "looped.cname-broken.test"


def run(check_id: str, resolver: Resolver, subject: str) -> CheckResult:
    cls = CHECKS[check_id]
    return cls().run(subject, cls.Config(), CheckContext(resolver=resolver))


def test_chase_raises_on_a_loop_inside_one_zone(resolver: Resolver) -> None:
    """Knot returns an in-zone loop in one answer; dnspython refuses it. Still a loop, not
    SERVFAIL: the server answered, the data loops."""
    with pytest.raises(CnameChainBroken) as info:
        chase(resolver, "inloop.chain-a.test", "TXT")
    assert info.value.loop
    assert info.value.chain == (
        "inloop.chain-a.test",
        "inloop2.chain-a.test",
        "inloop.chain-a.test",
    )
    assert resolver.queries_sent == 1


def test_chase_stops_a_long_chain_at_the_limit(resolver: Resolver) -> None:
    """The 32-hop chain is cut after MAX_CNAME_HOPS + 1 CNAMEs, one question per hop."""
    with pytest.raises(CnameChainBroken) as info:
        chase(resolver, "h1.chain-a.test", "TXT")
    assert not info.value.loop
    assert info.value.hops == MAX_CNAME_HOPS + 1
    assert resolver.queries_sent == MAX_CNAME_HOPS + 1


def test_chase_follows_a_chain_of_exactly_the_limit(resolver: Resolver) -> None:
    """h24 → h32 is 8 CNAMEs: the longest chain that still counts as reachable."""
    answer = chase(resolver, "h24.chain-b.test", "TXT")
    assert answer.records
    assert len(answer.cname_chain) - 1 == MAX_CNAME_HOPS


def test_dmarc_loop_is_critical_and_does_not_fall_back(resolver: Resolver) -> None:
    """Receivers' resolvers SERVFAIL on the loop: a temporary error, not an empty answer, so
    no organizational policy applies, and the record is not "missing" either."""
    result = run("dns.dmarc", resolver, LOOPED)
    assert result.status is Status.FAIL
    assert result.codes() == {"dmarc.cname_loop"}
    (finding,) = result.findings
    assert finding.severity is Severity.CRITICAL
    assert finding.details["name"] == f"_dmarc.{LOOPED}"
    assert result.observations["dmarc.present"] is False
    assert "dmarc.source" not in result.observations
    asked = [lookup["name"] for lookup in result.evidence["lookups"]]
    assert asked == [f"_dmarc.{LOOPED}"]


def test_mta_sts_in_zone_loop_is_a_loop_not_missing(resolver: Resolver) -> None:
    """The record is as good as absent to senders (a warning), and the finding says why."""
    result = run("dns.mta_sts", resolver, LOOPED)
    assert result.status is Status.WARN
    assert result.codes() == {"mta_sts.cname_loop"}
    assert result.observations["mta_sts.present"] is False


def test_tlsrpt_long_chain_names_hops_and_limit(resolver: Resolver) -> None:
    """A 32-CNAME chain: the finding says how far it was followed and the limit."""
    result = run("dns.tlsrpt", resolver, LOOPED)
    assert result.status is Status.WARN
    assert result.codes() == {"tlsrpt.cname_chain_too_long"}
    (finding,) = result.findings
    assert (finding.details["hops"], finding.details["limit"]) == (9, 8)
    assert result.evidence["lookup"]["cname_chain"][-1] == "h9.chain-a.test"


def test_mx_host_behind_a_loop_is_a_loop_not_unresolvable(resolver: Resolver) -> None:
    """'Has no address' would send the operator to the host's A records."""
    result = run("dns.mx", resolver, LOOPED)
    assert result.codes() == {"mx.cname_loop"}
    (finding,) = result.findings
    assert finding.details["host"] == f"mx.{LOOPED}"
    assert result.status is Status.WARN


def test_report_authorisation_behind_a_loop_is_a_loop(resolver: Resolver) -> None:
    """Reporters cannot read the authorisation; the warning names the loop, not "no record"."""
    result = run("dns.dmarc", resolver, "reports.cname-broken.test")
    assert result.status is Status.WARN
    assert result.codes() == {"dmarc.cname_loop"}
    (finding,) = result.findings
    assert finding.severity is Severity.WARNING
    assert finding.details["destination"] == "chain-a.test"
    assert result.evidence["report_authorizations"][0]["problem"].startswith("the CNAME chain")


def test_dmarc_loop_met_only_by_the_tree_walk_is_a_warning(resolver: Resolver) -> None:
    """Below the looped name, RFC 7489 uses the organizational record; only RFC 9989
    receivers, walking the tree through the loop, are affected."""
    result = run("dns.dmarc", resolver, f"mail.{LOOPED}")
    assert result.status is Status.WARN
    assert result.codes() == {"dmarc.cname_loop"}
    (finding,) = result.findings
    assert finding.severity is Severity.WARNING
    assert finding.details["name"] == f"_dmarc.{LOOPED}"
    assert result.observations["dmarc.source"] == "organizational"
