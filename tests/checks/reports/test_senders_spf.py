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
