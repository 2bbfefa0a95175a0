"""`self_test`: each list's RFC 5782 test entries, against lists served by the test Knot."""

from __future__ import annotations

import dataclasses

import pytest

from checks.blocklists.catalogue import SPAMHAUS_ERRORS, code_table
from checks.blocklists.selftest import self_test
from checks.dns.resolver import Resolver
from tests.checks.blocklists.lab_lists import DEAD_IP, LAB_DOMAIN, LAB_IP


def test_working_ip_list_lists_both_test_entries_and_not_127_0_0_1(resolver: Resolver) -> None:
    """127.0.0.2 and ::FFFF:7F00:2 listed, 127.0.0.1 not: the list works from here."""
    result = self_test(resolver, LAB_IP)
    assert result.verdict == "works"
    assert [(lookup.target, lookup.verdict.status) for lookup in result.lookups] == [
        ("127.0.0.2", "listed"),
        ("::ffff:7f00:2", "listed"),
        ("127.0.0.1", "clean"),
    ]


def test_working_domain_list_lists_test_and_not_invalid(resolver: Resolver) -> None:
    """Domain lists: TEST listed, INVALID not (RFC 5782 §5)."""
    result = self_test(resolver, LAB_DOMAIN)
    assert result.verdict == "works"
    assert [lookup.query for lookup in result.lookups] == ["test.dbl.test", "invalid.dbl.test"]


@pytest.mark.parametrize(
    ("zone", "verdict", "words"),
    [
        ("refuse.test", "refused", "use your own recursive resolver or the list's key"),
        ("wild.test", "lists_everything", "rewrites NXDOMAIN or the zone has a wildcard"),
        ("dbl.test", "not_listing", "does not list its test entry 127.0.0.2"),
    ],
)
def test_list_that_does_not_work_says_why(
    resolver: Resolver, zone: str, verdict: str, words: str
) -> None:
    """A refusal, a wildcard and a wrong zone are three different things to fix."""
    spec = dataclasses.replace(LAB_IP, zone=zone, ipv6=False, errors=code_table(SPAMHAUS_ERRORS))
    result = self_test(resolver, spec)
    assert result.verdict == verdict
    assert words in result.message


def test_list_the_resolver_cannot_reach_is_unavailable(resolver: Resolver) -> None:
    """No answer for the zone at all (the test server refuses it): unavailable, not broken."""
    result = self_test(resolver, DEAD_IP)
    assert result.verdict == "unavailable"
    assert "refused" in result.message
