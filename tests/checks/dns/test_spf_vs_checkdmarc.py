"""Why the SPF tree walk is our own: checkdmarc 6.0.x measured on the same zones.

Each row is a zone case where checkdmarc's `check_spf` (pinned `>=6.0,<6.1`) gives a verdict
a receiver would not, next to what SpfCheck and a real receiver (pyspf, see
test_spf_vs_pyspf.py) say. docs/spf.md quotes these outputs. If a checkdmarc upgrade fixes
one, this test fails on purpose: update docs/spf.md and reconsider using checkdmarc there.
checkdmarc only ever talks to the test Knot server, with its module cache cleared.
"""

from __future__ import annotations

from typing import Any

import checkdmarc
import checkdmarc.spf
import checkdmarc.utils
import dns.nameserver
import pytest

from checks.base import CheckContext
from checks.dns.resolver import Resolver
from checks.dns.spf import Config, SpfCheck
from tests.conftest import EditableDns


def checkdmarc_spf(dns_server: EditableDns, domain: str) -> dict[str, Any]:
    """checkdmarc's own verdict, asked of the test server only, with no stale cache."""
    checkdmarc.utils.DNS_CACHE.clear()
    nameserver = dns.nameserver.Do53Nameserver(dns_server.server.host, dns_server.server.port)
    result: dict[str, Any] = checkdmarc.spf.check_spf(domain, nameservers=[nameserver], timeout=2)
    return result


# (domain, checkdmarc's measured output (subset), our codes, our lookups, our voids)
DISAGREEMENTS = [
    # exists: voids are not counted at all, so three NXDOMAIN exists pass as valid.
    (
        "voids-exists.spf-limits.test",
        {"valid": True, "dns_lookups": 3, "void_dns_lookups": 0},
        {"spf.too_many_void_lookups"},
        3,
        3,
    ),
    # One a-void here, exists- and a-void in the redirect target: checkdmarc sees 2.
    (
        "void-redirect.spf-limits.test",
        {"valid": True, "dns_lookups": 4, "void_dns_lookups": 2},
        {"spf.too_many_void_lookups"},
        4,
        3,
    ),
    # The limit is found, but the counts it reports belong to the top record only.
    (
        "voids-in-redirect.spf-limits.test",
        {"valid": False, "dns_lookups": 1, "void_dns_lookups": 0},
        {"spf.too_many_void_lookups"},
        4,
        3,
    ),
    # A REFUSED answer for an include is reported as "has no SPF record ... permerror".
    (
        "lame.spf-basic.test",
        {"valid": False, "dns_lookups": None},
        {"dns.refused"},
        None,
        None,
    ),
    # A redirect to a name without SPF reads like the domain itself has none; counts lost.
    (
        "redirect-none.spf-basic.test",
        {"valid": False, "dns_lookups": None, "error": "An SPF record does not exist."},
        {"spf.redirect_no_record"},
        1,
        0,
    ),
    # +all, and an include that ends in +all: valid, no warning at all.
    ("plusall.spf-basic.test", {"valid": True, "warnings": []}, {"spf.all_pass"}, 0, 0),
    ("openinclude.spf-basic.test", {"valid": True, "warnings": []}, {"spf.all_pass"}, 1, 0),
    # ptr cannot be resolved without a client IP; checkdmarc invents a void for it.
    ("ptr.spf-basic.test", {"valid": True, "void_dns_lookups": 1}, {"spf.ptr_deprecated"}, 1, 0),
    # Only the first of three syntax errors is reported, and the counts are dropped.
    (
        "syntax.spf-basic.test",
        {"valid": False, "dns_lookups": None, "error": "192.0.2.300 is not a valid IPv4 value."},
        {"spf.syntax_error"},
        0,
        0,
    ),
]


def test_checkdmarc_is_the_pinned_minor_we_measured() -> None:
    """The measurements below are of 6.0.x; a new minor needs a new measurement."""
    assert checkdmarc.__version__.startswith("6.0.")


@pytest.mark.parametrize(("domain", "theirs", "codes", "lookups", "voids"), DISAGREEMENTS)
def test_checkdmarc_disagrees_where_our_walk_follows_rfc_7208(
    dns_server: EditableDns,
    resolver: Resolver,
    domain: str,
    theirs: dict[str, Any],
    codes: set[str],
    lookups: int | None,
    voids: int | None,
) -> None:
    """The measured reason the tree walk is ours: each row is a verdict checkdmarc gets wrong."""
    measured = checkdmarc_spf(dns_server, domain)
    assert {k: measured.get(k) for k in theirs} == theirs, measured
    ours = SpfCheck().run(domain, Config(), CheckContext(resolver=resolver))
    assert ours.codes() == codes
    assert ours.observations.get("spf.lookups") == lookups
    assert ours.observations.get("spf.void_lookups") == voids


@pytest.mark.parametrize(
    ("domain", "lookups", "voids"),
    [
        ("mxcount.spf-limits.test", 8, 0),  # mx counted once (#197 fixed in 6.x)
        ("macro.spf-basic.test", 2, 0),  # macros not looked up (#81 fixed in 6.x)
        ("diamond.spf-basic.test", 4, 0),  # no false loop (#55 fixed)
        ("exp10.spf-limits.test", 10, 0),  # exp not counted
        ("over.spf-limits.test", 13, 0),
        ("voids.spf-limits.test", None, 3),  # counts are dropped on the error (#18 style)
    ],
)
def test_checkdmarc_agrees_on_these_counts(
    dns_server: EditableDns, resolver: Resolver, domain: str, lookups: int | None, voids: int
) -> None:
    """Where checkdmarc is right we say so: the disagreement table is not a blanket claim."""
    measured = checkdmarc_spf(dns_server, domain)
    assert (measured.get("dns_lookups"), measured.get("void_dns_lookups")) == (lookups, voids)
    ours = SpfCheck().run(domain, Config(), CheckContext(resolver=resolver))
    assert ours.observations["spf.void_lookups"] == voids
    if lookups is not None:
        assert ours.observations["spf.lookups"] == lookups
