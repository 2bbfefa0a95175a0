"""The resolver keeps "record gone" apart from "could not ask", and never hides a change."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from checks.dns.resolver import (
    DnsUnavailable,
    Resolver,
    parse_nameserver,
    to_alabel,
    to_ulabel,
)
from tests.conftest import EditableDns
from tests.support.bad_dns import BlackholeDns, ServfailDns


def test_txt_strings_are_joined_with_nothing_added(resolver: Resolver) -> None:
    """RFC 7208 §3.3: a record split into strings is one record, joined without spaces."""
    answer = resolver.txt("healthy.test")
    spf = [r for r in answer.records if r.startswith("v=spf1")]
    assert len(spf) == 1
    assert answer.exists and not answer.void


def test_nxdomain_and_nodata_are_answers_not_errors(resolver: Resolver) -> None:
    """A missing name is a fact about the zone; it must not raise like a timeout does."""
    missing = resolver.txt("no-such-name.healthy.test")
    assert missing.nxdomain and missing.void and not missing.exists
    nodata = resolver.query("healthy.test", "SRV")
    assert not nodata.nxdomain and nodata.exists and nodata.void


def test_timeout_is_retried_then_reported_as_unavailable() -> None:
    """A silent server is asked again (retries) and then named as the cause, never 'missing'."""
    with BlackholeDns() as server:
        res = Resolver([server.address], timeout=0.2, retries=2, backoff=0.01)
        with pytest.raises(DnsUnavailable) as caught:
            res.txt("example.test")
    assert caught.value.cause == "timeout"
    assert res.queries_sent == 3


@pytest.mark.parametrize(("rcode", "cause"), [("servfail", "servfail"), ("refused", "refused")])
def test_servfail_and_refused_name_their_cause(rcode: str, cause: str) -> None:
    """SERVFAIL and REFUSED are transient server problems: retried, then reported by name."""
    with ServfailDns(rcode=rcode) as server:
        res = Resolver([server.address], timeout=0.5, retries=1, backoff=0.01)
        with pytest.raises(DnsUnavailable) as caught:
            res.txt("example.test")
    assert caught.value.cause == cause
    assert res.queries_sent == 2


def test_an_unreachable_nameserver_is_network_not_servfail(tmp_path: Path) -> None:
    """A machine with no network (a fresh namespace: no interface up, no route): no server
    said SERVFAIL, so the cause is `network`, and the CLI can say "no answer from ..." once."""
    name = f"sw-nonet-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        probe = (
            "from checks.dns.resolver import DnsUnavailable, Resolver\n"
            "try:\n"
            "    Resolver(['192.0.2.53'], timeout=0.5, retries=0).txt('example.test')\n"
            "except DnsUnavailable as exc:\n"
            "    print(exc.cause)\n"
        )
        proc = subprocess.run(
            ["ip", "netns", "exec", name, sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[3],
            check=False,
        )
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)
    assert proc.stdout.strip() == "network", proc.stderr


def test_one_run_asks_a_shared_name_once(resolver: Resolver) -> None:
    """Shared ESP include chains are asked once per run, however many domains include them."""
    threads = [threading.Thread(target=resolver.txt, args=("healthy.test",)) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert resolver.queries_sent == 1
    assert resolver.cache_hits == 15


def test_a_fresh_resolver_sees_an_edited_record(editable_dns: EditableDns) -> None:
    """The cache lives for one run only: a record changed between two runs is always seen."""
    first = editable_dns.resolver()
    before = first.txt("_dmarc.healthy.test").records
    editable_dns.edit("healthy.test", "p=reject", "p=none")
    assert first.txt("_dmarc.healthy.test").records == before  # same run: cached
    after = first.fresh().txt("_dmarc.healthy.test").records
    assert any("p=none" in r for r in after)


def test_an_unencodable_name_releases_other_waiters(resolver: Resolver) -> None:
    """A name dnspython cannot encode raises, and must not leave later askers blocked."""
    for _ in range(2):
        with pytest.raises(Exception, match="empty"):
            resolver.txt("bad..name.test")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("10.0.0.53", ("10.0.0.53", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("::1", ("::1", 53)),
    ],
)
def test_nameserver_specs_parse(spec: str, expected: tuple[str, int]) -> None:
    """Config accepts addresses with an optional port, IPv6 in brackets."""
    assert parse_nameserver(spec) == expected


def test_idn_names_are_queried_as_alabels_and_shown_as_ulabels() -> None:
    """U-label queries silently fail at resolvers; users still read their own spelling."""
    assert to_alabel("Bücher.TEST.") == "xn--bcher-kva.test"
    assert to_alabel("_dmarc.bücher.test") == "_dmarc.xn--bcher-kva.test"
    assert to_ulabel("xn--bcher-kva.test") == "bücher.test"


def test_the_cache_is_bounded_and_keeps_what_is_asked_again(resolver: Resolver) -> None:
    """Thousands of domains must not grow memory without bound; shared names stay cached."""
    small = Resolver(resolver.nameserver_specs, timeout=1.0, retries=0, max_cached=2)
    small.txt("healthy.test")
    small.txt("_dmarc.healthy.test")
    small.txt("healthy.test")  # hit: now the most recently used
    small.txt("_smtp._tls.healthy.test")  # evicts _dmarc, the least recently used
    assert small.queries_sent == 3
    small.txt("healthy.test")
    assert small.queries_sent == 3
    small.txt("_dmarc.healthy.test")
    assert small.queries_sent == 4
