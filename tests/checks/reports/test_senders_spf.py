"""Classifying report sources by SPF: the per-domain network shortcut decides exactly what
the full `check_host()` evaluation decides, against the test Knot's SPF zones."""

from __future__ import annotations

import pytest

from checks.dns.resolver import Resolver
from checks.reports.senders import SourceClassifier, _check_host, spf_networks
from tests.conftest import EditableDns

IPS = (
    "192.0.2.5",
    "192.0.2.200",
    "198.51.100.5",
    "198.51.100.70",
    "203.0.113.7",
    "2001:db8:10::1",
    "2001:db8:0:10::25",
    "2001:db8:99::1",
)
DOMAINS = (
    "healthy.spf-basic.test",  # ip4, ip6 and an ESP include chain: the shortcut applies
    "reordered.spf-basic.test",
    "softfail.spf-basic.test",
    "redirect.spf-basic.test",
    "redirect-all.spf-basic.test",
    "plusall.spf-basic.test",  # +all: every IP passes, no shortcut
    "openinclude.spf-basic.test",  # +all inside an include
    "two.spf-basic.test",  # two records: permerror
    "inc-none.spf-basic.test",
    "reports-lab.test",
    "_spf.news-esp.test",
    "nothing.spf-basic.test",
)


def test_shortcut_applies_only_to_trees_of_plain_networks(dns_server: EditableDns) -> None:
    """Networks for ip4/ip6-only trees (includes followed); None where an IP outside them
    could pass (+all, here or in an include) or the tree is not readable as one record."""
    resolver = Resolver([dns_server.address], timeout=1.0, retries=0)
    healthy = spf_networks(resolver, "healthy.spf-basic.test")
    assert healthy is not None and len(healthy) >= 3  # own ip4 and ip6, plus the ESP's
    assert [str(n) for n in spf_networks(resolver, "reports-lab.test") or ()] == [
        "198.51.100.0/28",
        "2001:db8:0:10::/64",
    ]
    for name in ("plusall", "openinclude", "two"):
        assert spf_networks(resolver, f"{name}.spf-basic.test") is None, name


@pytest.mark.parametrize("domain", DOMAINS)
def test_shortcut_agrees_with_the_full_evaluation(dns_server: EditableDns, domain: str) -> None:
    """For every IP the classifier's answer is check_host()'s: pass or not."""
    resolver = Resolver([dns_server.address], timeout=1.0, retries=0)
    classifier = SourceClassifier(resolver, domain)
    for ip in IPS:
        expected = _check_host(resolver, ip, domain) == "pass"
        assert classifier.classify(ip, None).authorised is expected, ip


def test_network_set_answers_as_ipaddress_does() -> None:
    """Membership through merged integer intervals agrees with `ipaddress` containment,
    at the edges of each network, across overlapping and adjacent ones, for both versions."""
    import ipaddress

    from checks.reports.senders import NetworkSet, _address

    networks = [
        ipaddress.ip_network(n)
        for n in (
            "192.0.2.0/25",
            "192.0.2.128/26",
            "192.0.2.64/27",
            "198.51.100.7/32",
            "2001:db8::/64",
            "2001:db8:0:1::/64",
            "10.0.0.0/8",
        )
    ]
    found = NetworkSet(networks)
    probes = [
        "192.0.2.0",
        "192.0.2.191",
        "192.0.2.192",
        "192.0.1.255",
        "198.51.100.7",
        "198.51.100.8",
        "2001:db8::1",
        "2001:db8:0:1:ffff:ffff:ffff:ffff",
        "2001:db8:0:2::",
        "10.255.255.255",
        "11.0.0.0",
        "::ffff:10.0.0.1",
    ]
    for ip in probes:
        expected = any(
            ipaddress.ip_address(ip) in n
            for n in networks
            if n.version == ipaddress.ip_address(ip).version
        )
        assert (_address(ip) in found) is expected, ip
    for junk in ("", "192.0.2", "192.0.2.01", "not-an-ip", "fe80::1%eth0"):
        assert _address(junk) not in found, junk
    assert _address("192.0.2.5") not in NetworkSet([])
