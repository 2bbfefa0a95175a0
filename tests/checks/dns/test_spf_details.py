"""SpfCheck details against Knot: evidence, the tree, counting, errors, bounds."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from checks.dns._spf_grammar import parse_record
from checks.dns._spf_report import tree_findings
from checks.dns._spf_tree import walk
from checks.dns.resolver import Resolver
from checks.dns.spf import Config
from checks.result import Status
from tests.checks.dns.test_spf import B, L, run
from tests.support.bad_dns import BlackholeDns, ServfailDns


def test_split_and_reordered_records_have_the_same_observations(resolver: Resolver) -> None:
    """TXT splits, extra spaces and term order are formatting, not drift."""
    plain = run(resolver, f"healthy.{B}").observations
    assert run(resolver, f"split.{B}").observations == plain
    assert run(resolver, f"reordered.{B}").observations == plain


def test_split_record_keeps_its_original_strings_in_evidence(resolver: Resolver) -> None:
    """Users debugging a split record need the strings as published, and the joined text."""
    result = run(resolver, f"split.{B}")
    assert result.evidence["strings"] == [
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:10::/48 ",
        "include:_spf.esp-",
        "mailer.test -all",
    ]
    assert result.evidence["record"] == "".join(result.evidence["strings"])
    assert result.evidence["queried"] == f"split.{B}"


def test_tree_shows_per_term_lookups_and_ordinals(resolver: Resolver) -> None:
    """Users fix an over-limit record term by term, so each term carries its own cost."""
    tree = run(resolver, f"over.{L}").evidence["tree"]
    costs = [(t["term"], t["lookups"], t.get("ordinal")) for t in tree["terms"]]
    assert costs == [
        ("include:_spf.esp-mailer.test", 4, 1),
        ("include:_spf.esp-bulk.test", 5, 5),
        ("include:_spf.esp-chain.test", 4, 10),
        ("-all", 0, None),
    ]
    chain = tree["terms"][2]["children"][0]
    assert chain["domain"] == "_spf.esp-chain.test"
    assert chain["terms"][0]["ordinal"] == 11


def test_too_many_lookups_names_the_first_term_over_the_limit(resolver: Resolver) -> None:
    """'Which include pushed us over?' is the first question after a permerror."""
    (finding,) = run(resolver, f"over.{L}").findings
    assert finding.details["lookups"] == 13
    assert finding.details["first_over"] == {
        "domain": "_spf.esp-chain.test",
        "term": "include:_l1.esp-chain.test",
    }


def test_void_lookups_through_redirect_are_counted_once_each(resolver: Resolver) -> None:
    """A redirect's voids join the void counter only, never the total (checkdmarc #211)."""
    result = run(resolver, f"void-redirect.{L}")
    (finding,) = result.findings
    assert [v["term"] for v in finding.details["voids"]] == [
        "a:nx1.spf-limits.test",
        "exists:nx2.spf-limits.test",
        "a:nx3.spf-limits.test",
    ]
    assert result.observations["spf.lookups"] == 4


def test_macro_terms_are_counted_but_never_looked_up(resolver: Resolver) -> None:
    """Looking `%{i}` up literally reports hosted SPF as broken (checkdmarc #81)."""
    before = resolver.queries_sent
    result = run(resolver, f"macro.{B}")
    terms = result.evidence["tree"]["terms"]
    assert [t["ordinal"] for t in terms[:2]] == [1, 2]
    assert all("macros" in t["note"] and "target" not in t for t in terms[:2])
    # The TXT and the obsolete SPF-type query of the domain itself, and nothing else.
    assert resolver.queries_sent - before == 2


def test_exp_is_shown_but_not_counted(resolver: Resolver) -> None:
    """EasyDMARC counted exp= (internet.nl #1336); it costs no lookup at evaluation."""
    terms = run(resolver, f"exp10.{L}").evidence["tree"]["terms"]
    exp = next(t for t in terms if t["term"].startswith("exp="))
    assert exp["lookups"] == 0
    assert "not counted" in exp["skipped"]


def test_syntax_errors_name_each_offending_term(resolver: Resolver) -> None:
    """A permerror is only fixable when the user sees which term is wrong."""
    result = run(resolver, f"syntax.{B}")
    terms = sorted(f.details["term"] for f in result.findings)
    assert terms == ["a:192.0.2.1", "include:", "ip4:192.0.2.300"]
    assert result.evidence["record"].startswith("v=spf1 ip4:192.0.2.300")


def test_two_records_are_both_shown(resolver: Resolver) -> None:
    """Merging two records starts from seeing both."""
    result = run(resolver, f"two.{B}")
    assert sorted(result.evidence["records"]) == [
        "v=spf1 include:_spf.esp-mailer.test -all",
        "v=spf1 ip4:192.0.2.0/24 -all",
    ]


def test_near_miss_record_is_named_in_the_missing_finding(resolver: Resolver) -> None:
    """A tab after v=spf1 makes the record invisible to receivers; say so, not just 'missing'."""
    (finding,) = run(resolver, f"nearmiss.{B}").findings
    assert finding.details["near_misses"] == ["v=spf1\tip4:192.0.2.0/24 -all"]


def test_idn_domain_is_queried_as_a_label_and_shown_as_u_label(resolver: Resolver) -> None:
    """U-label queries silently degrade to 'no record' (e2a #931); users read U-labels."""
    result = run(resolver, "bücher.spf-idn.test", Config(expected_includes=("_spf.other.test",)))
    assert result.subject == "bücher.spf-idn.test"
    assert result.evidence["queried"] == "xn--bcher-kva.spf-idn.test"
    (finding,) = result.findings
    assert "bücher.spf-idn.test" in finding.message


def test_expected_ip_range_missing_lists_what_is_authorised(resolver: Resolver) -> None:
    """The finding must show what the tree does authorise, to spot a typo or a moved range."""
    result = run(resolver, f"healthy.{B}", Config(expected_ip_ranges=("198.51.100.0/24",)))
    (finding,) = result.findings
    assert finding.code == "spf.expected_ip_range_missing"
    assert "198.51.100.0/25" in finding.details["authorised"]


def test_invalid_expected_range_is_reported_not_raised(resolver: Resolver) -> None:
    """A typo in configuration gives a clear finding, never a crash."""
    result = run(resolver, f"healthy.{B}", Config(expected_ip_ranges=("192.0.2.0/33",)))
    (finding,) = result.findings
    assert "not a valid CIDR" in finding.message
    assert result.observations["spf.expected_ip_range.192.0.2.0/33"] is False


def test_invalid_subject_is_an_error_result(resolver: Resolver) -> None:
    """A single-label subject cannot be measured; that is ERROR, not 'SPF missing'."""
    result = run(resolver, "localhost")
    assert result.status is Status.ERROR
    assert result.codes() == {"dns.invalid_name"}


@pytest.mark.parametrize(
    ("server", "code"),
    [(BlackholeDns, "dns.timeout"), (ServfailDns, "dns.servfail")],
)
def test_unanswered_dns_is_an_error_never_missing(server: type, code: str) -> None:
    """A timeout or SERVFAIL must not read as "SPF deleted" (checkdmarc #90, websegura #248)."""
    with server() as bad:
        resolver = Resolver([bad.address], timeout=0.3, retries=1, backoff=0.01)
        result = run(resolver, f"healthy.{B}")
    assert result.status is Status.ERROR
    assert result.codes() == {code}
    (finding,) = result.findings
    assert finding.unmeasurable
    assert f"TXT query for healthy.{B}" in finding.message
    assert set(finding.details) == {"name", "rdtype", "cause", "detail"}
    assert (finding.details["name"], finding.details["rdtype"]) == (f"healthy.{B}", "TXT")
    assert finding.details["cause"] == code[4:]
    assert result.observations == {}


def test_dns_failure_deep_in_the_tree_withholds_tree_observations(resolver: Resolver) -> None:
    """Counts from a half-walked tree would be compared against a baseline as real drift."""
    result = run(resolver, f"lame.{B}")
    (finding,) = result.findings
    assert finding.details["name"] == "_spf.lame-esp.invalid"
    assert finding.details["rdtype"] == "TXT"
    assert "type" not in finding.details
    assert set(result.observations) == {"spf.present", "spf.ip4", "spf.ip6"}
    assert "refused" in result.evidence["tree"]["terms"][1]["dns_error"]


def test_walk_beyond_its_bounds_is_truncated_and_says_so(resolver: Resolver) -> None:
    """A pathological tree must stop somewhere, and the user must know counts are partial."""
    record = parse_record(resolver.txt(f"over.{L}").records[0])
    with ThreadPoolExecutor(2) as pool:
        tree = walk(f"over.{L}", record, (), resolver, pool, max_depth=2)
    assert tree.truncated
    assert tree.lookups == 12  # of 13: the esp-chain record at depth 3 is not read
    codes = {f.code for f in tree_findings(tree, max_lookups=10, max_voids=2)}
    assert codes == {"spf.tree_truncated", "spf.too_many_lookups"}


def test_invalid_expected_include_is_reported_not_raised(resolver: Resolver) -> None:
    """A name IDNA rejects in configuration is a missing include, never a crash."""
    result = run(resolver, f"healthy.{B}", Config(expected_includes=("ü-.test",)))
    assert result.codes() == {"spf.expected_include_missing"}


@pytest.mark.parametrize(
    "domain", [f"healthy.{B}", f"over.{L}", f"syntax.{B}", f"two.{B}", f"lame.{B}", f"macro.{B}"]
)
def test_results_serialise_to_json(resolver: Resolver, domain: str) -> None:
    """`senderwatch check --format json` and storage need plain data, tree included."""
    document = json.loads(json.dumps(run(resolver, domain).to_dict()))
    assert document["check"] == "spf"
