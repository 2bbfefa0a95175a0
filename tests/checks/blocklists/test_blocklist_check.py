"""The blocklist check against lists served by the real test DNS server (tests/zones/bl.test,
dbl.test, rep.test and the reverse zones of 198.51.100.0/24 and 2001:db8:5782::/48)."""

from __future__ import annotations

from typing import Any

from checks.base import CheckContext
from checks.blocklists.budget import QueryBudget
from checks.blocklists.check import BlocklistCheck, Config
from checks.dns.resolver import Resolver
from checks.result import CheckResult, Status
from tests.checks.blocklists.lab_lists import DEAD_IP, LAB_DOMAIN, LAB_IP
from tests.conftest import EditableDns
from tests.support.filtering_dns import SilentZonesDns


def run(resolver: Resolver, **fields: Any) -> CheckResult:
    config = Config(**{"lists": (LAB_IP, LAB_DOMAIN), "fcrdns": False, **fields})
    return BlocklistCheck().run("production", config, CheckContext(resolver, environment=None))


def details(result: CheckResult) -> dict[str, Any]:
    value: dict[str, Any] = result.evidence["blocklists"]
    return value


def test_listed_ipv4_address_carries_the_lists_reason_and_delisting_page(
    resolver: Resolver,
) -> None:
    """A listing names the list, its meaning, the TXT reason and where to ask for removal."""
    result = run(resolver, sending_ips=("198.51.100.66",))
    (finding,) = [f for f in result.findings if f.code == "blocklists.listed"]
    assert finding.details["target"] == "198.51.100.66"
    assert finding.details["query"] == "66.100.51.198.bl.test"
    assert finding.details["meanings"] == ["lab listing"]
    assert finding.details["reason"] == "Spam sent from 198.51.100.66; see https://bl.test/lookup"
    assert finding.details["delist_url"] == "https://bl.test/delist"
    assert "https://bl.test/delist" in finding.message
    assert result.observations["blocklists.lab-ip.198.51.100.66"] == "listed"
    assert result.status is Status.WARN
    assert result.environment == "production"


def test_listed_ipv6_address_is_asked_in_nibble_form(resolver: Resolver) -> None:
    """RFC 5782 §2.4: 32 reversed nibbles under the zone."""
    result = run(resolver, sending_ips=("2001:db8:5782::66",))
    (listing,) = details(result)["listings"]
    assert listing["query"] == "6.6" + ".0" * 18 + ".2.8.7.5.8.b.d.0.1.0.0.2.bl.test"
    assert listing["meanings"] == ["lab IPv6 listing"]
    assert listing["reason"] == "IPv6 host listed"


def test_ipv6_address_is_not_asked_of_a_list_without_ipv6() -> None:
    """An IPv4-only list (SpamCop, Barracuda) is never asked about an IPv6 address."""
    v4_only = Config(lists=(DEAD_IP,), sending_ips=("2001:db8:5782::66",), fcrdns=False)
    result = BlocklistCheck().run("p", v4_only, CheckContext(Resolver(["127.0.0.1:9"])))
    assert details(result)["results"] == []
    assert result.status is Status.PASS


def test_listed_domain_is_found_on_the_domain_list(resolver: Resolver) -> None:
    """Domain lists are asked `<domain>.<zone>`; a clean domain is observed clean."""
    result = run(
        resolver,
        domains=(("listed-sender.test", "sending_domain"), ("healthy.test", "from_domain")),
    )
    (listing,) = details(result)["listings"]
    assert listing["query"] == "listed-sender.test.dbl.test"
    assert listing["meanings"] == ["spam domain"]
    assert "spam domain" in listing["reason"]
    assert result.observations["blocklists.lab-dbl.healthy.test"] == "clean"
    assert result.observations["blocklists.lab-dbl.listed-sender.test"] == "listed"


def test_refusal_code_is_an_error_that_says_use_your_resolver_never_listed(
    resolver: Resolver,
) -> None:
    """Spamhaus's 127.255.255.254 means "public resolver": could not measure, not a listing."""
    result = run(resolver, sending_ips=("198.51.100.99",))
    assert result.status is Status.ERROR
    assert "blocklists.listed" not in result.codes()
    (finding,) = result.findings
    assert finding.code == "blocklists.list_refused"
    assert finding.unmeasurable
    assert "use your own recursive resolver or the list's key" in finding.message
    assert "not a listing" in finding.message
    assert details(result)["listings"] == []
    assert "blocklists.lab-ip.198.51.100.99" not in result.observations


def test_answer_outside_loopback_is_unknown_not_listed(resolver: Resolver) -> None:
    """A resolver that rewrites NXDOMAIN answers a public address: nothing can be said."""
    result = run(resolver, sending_ips=("198.51.100.98",))
    assert result.codes() == {"blocklists.unexpected_answer"}
    assert result.status is Status.ERROR


def test_one_list_timing_out_errors_that_list_only(dns_server: EditableDns) -> None:
    """A dead list is an error of that list; the other lists' verdicts are still measured."""
    with SilentZonesDns(dns_server.address, drop=("dead.example",)) as proxy:
        resolver = Resolver([proxy.address], timeout=0.3, retries=0)
        result = run(
            resolver,
            lists=(DEAD_IP, LAB_IP),
            sending_ips=("198.51.100.66", "198.51.100.200"),
        )
        assert proxy.dropped == 1  # the dead list is not asked again for the second address
    by_list = {entry["name"]: entry for entry in details(result)["lists"]}
    assert by_list["dead-ip"]["status"] == "error"
    assert by_list["lab-ip"]["status"] == "ok"
    unavailable = [f for f in result.findings if f.code == "blocklists.list_unavailable"]
    assert {f.details["target"] for f in unavailable} == {"198.51.100.66", "198.51.100.200"}
    assert all(f.details["list"] == "dead-ip" for f in unavailable)
    assert result.observations["blocklists.lab-ip.198.51.100.66"] == "listed"
    assert result.observations["blocklists.lab-ip.198.51.100.200"] == "clean"
    assert not any(key.startswith("blocklists.dead-ip") for key in result.observations)
    assert result.status is Status.ERROR


def test_rfc5782_test_entry_listed_explicitly_is_always_queried(resolver: Resolver) -> None:
    """127.0.0.2 given by the user is asked (a list's self-test), loopback or not."""
    result = run(resolver, sending_ips=("127.0.0.2",))
    assert result.observations["blocklists.lab-ip.127.0.0.2"] == "listed"


def test_discovered_private_addresses_are_not_queried(resolver: Resolver) -> None:
    """SPF-tree and canary-hop addresses in private or documentation ranges stay at home;
    global ones are asked; a /16 is never walked."""
    result = run(
        resolver,
        spf_domains=("rep.test",),
        observed_ips=(("10.1.2.3", "canary"),),
    )
    targets = {t["target"]: t for t in details(result)["targets"]}
    assert targets["11.22.33.44"]["queried"] is True
    assert targets["11.22.33.44"]["sources"] == ["spf"]
    for private in ("198.51.100.10", "10.9.9.9", "10.1.2.3"):
        assert targets[private]["queried"] is False, private
        assert not any(private in key for key in result.observations)
    assert details(result)["skipped_ranges"] == [
        {"network": "172.16.0.0/16", "source": "spf:rep.test", "reason": "range too large"}
    ]
    # discovered addresses change with the mail: one verdict per list, not a key per address
    assert result.observations == {
        "blocklists.lab-ip.discovered": "clean",
        "blocklists.lab-dbl.discovered": "clean",
    }


def test_answers_are_cached_for_their_ttl_across_runs(dns_server: EditableDns) -> None:
    """A second run within the TTL asks the list nothing (the budget outlives the run)."""
    budget = QueryBudget()
    first = dns_server.resolver()
    run(first, sending_ips=("198.51.100.66", "198.51.100.200"), budget=budget)
    assert first.queries_sent == 3  # two A questions and the listed address's TXT
    second = dns_server.resolver()
    result = run(second, sending_ips=("198.51.100.66", "198.51.100.200"), budget=budget)
    assert second.queries_sent == 0
    assert all(entry["cached"] for entry in details(result)["results"])
    assert details(result)["listings"][0]["reason"].startswith("Spam sent")


def test_fcrdns_verdicts_for_confirmed_missing_mismatched_and_generic(
    resolver: Resolver,
) -> None:
    """Each sending IP's PTR must resolve back to it; a generic name is a warning."""
    ips = ("198.51.100.10", "198.51.100.11", "198.51.100.12", "198.51.100.13")
    result = run(resolver, lists=(), sending_ips=ips, fcrdns=True)
    verdicts = {entry["ip"]: entry["verdict"] for entry in details(result)["fcrdns"]}
    assert verdicts == {
        "198.51.100.10": "pass",
        "198.51.100.11": "mismatch",
        "198.51.100.12": "missing",
        "198.51.100.13": "generic",
    }
    codes = {f.code: f for f in result.findings}
    assert set(codes) == {"fcrdns.mismatch", "fcrdns.missing", "fcrdns.generic"}
    assert codes["fcrdns.mismatch"].details["ptr"] == ["other.rep.test"]
    assert details(result)["fcrdns_verdict"] == "fail"
    assert result.observations["fcrdns.198.51.100.10"] == "pass"
    assert result.status is Status.FAIL


def test_fcrdns_of_ipv6_sending_address_confirms(resolver: Resolver) -> None:
    """ip6.arpa PTR, then AAAA back to the same address."""
    result = run(resolver, lists=(), sending_ips=("2001:db8:5782::66",), fcrdns=True)
    assert details(result)["fcrdns"][0]["confirmed_name"] == "mail6.rep.test"
    assert details(result)["fcrdns_verdict"] == "pass"
    assert result.status is Status.PASS


def test_spf_discovered_addresses_get_no_fcrdns_verdict(resolver: Resolver) -> None:
    """FCrDNS is judged for addresses that send for the environment (configured or seen by
    the canary's receiver), not every host an SPF include authorises."""
    result = run(resolver, lists=(), spf_domains=("rep.test",), fcrdns=True)
    assert details(result)["fcrdns"] == []
    assert details(result)["fcrdns_verdict"] == "not_checked"
