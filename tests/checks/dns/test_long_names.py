"""Names over the 255-octet limit of a DNS name, against real zones served by Knot.

A 253-character domain is valid (the config accepts it), yet `_dmarc.`, `_mta-sts.`,
`_smtp._tls.` or `<selector>._domainkey.` in front of it is not: no record can exist there.
Each check must say so with `dns.name_too_long` (the name and its length) and a verdict that is
true for that record, never crash. Zone: tests/zones/long-names.test.zone.
"""

from __future__ import annotations

import pytest

from checks.base import CheckContext
from checks.dns._envelope import Outcome, run_measurement
from checks.dns.dkim import Config as DkimConfig
from checks.dns.resolver import Resolver, UnaskableName, name_problem
from checks.registry import CHECKS
from checks.result import CheckResult, Severity, Status

LONG = "x." + ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 43]) + ".long-names.test"
PARENT = LONG[2:]


def run(check_id: str, resolver: Resolver, subject: str, config: object = None) -> CheckResult:
    cls = CHECKS[check_id]
    return cls().run(subject, config or cls.Config(), CheckContext(resolver=resolver))


def too_long(result: CheckResult) -> dict[str, dict[str, object]]:
    """The `dns.name_too_long` findings by name: severity and details."""
    return {
        str(f.details["name"]): {"severity": f.severity, **f.details}
        for f in result.findings
        if f.code == "dns.name_too_long"
    }


def test_the_test_domain_is_a_valid_253_character_name() -> None:
    """The subject itself is fine; only names built on it overflow."""
    assert len(LONG) == 253
    assert name_problem(LONG) is None
    assert name_problem("_dmarc." + LONG) is not None


def test_resolver_refuses_an_over_long_name_without_sending_it(resolver: Resolver) -> None:
    """The shared layer names the problem once for every check; nothing goes on the wire."""
    for _ in range(2):  # not cached, and no waiter left behind
        with pytest.raises(UnaskableName) as info:
            resolver.txt("_dmarc." + LONG)
        assert (info.value.reason, info.value.octets) == ("name_too_long", 262)
        assert info.value.code == "dns.name_too_long"
    assert resolver.queries_sent == 0


@pytest.mark.parametrize("check_id", sorted(c for c in CHECKS if c.startswith("dns.")))
def test_every_dns_check_measures_a_253_character_domain(resolver: Resolver, check_id: str) -> None:
    """A domain the config accepts gets a measured verdict from every check, not a crash."""
    config = DkimConfig(selectors=("s1",)) if check_id == "dns.dkim" else None
    result = run(check_id, resolver, LONG, config)
    assert result.status is not Status.ERROR, result.findings
    assert not any(f.unmeasurable for f in result.findings)


def test_dmarc_of_a_long_domain_falls_back_to_the_organizational_record(
    resolver: Resolver,
) -> None:
    """No record can sit at `_dmarc.<domain>`, an empty answer: RFC 7489 §6.6.3 falls back."""
    result = run("dns.dmarc", resolver, LONG)
    assert result.status is Status.PASS, result.findings
    assert result.codes() == {"dns.name_too_long"}
    assert result.observations["dmarc.source"] == "organizational"
    assert result.observations["dmarc.p"] == "reject"
    found = too_long(result)
    # the domain's own name, and its parent's, which the RFC 9989 tree walk passes over
    assert set(found) == {"_dmarc." + LONG, "_dmarc." + PARENT}
    assert found["_dmarc." + LONG]["octets"] == 262
    assert found["_dmarc." + PARENT]["octets"] == 260
    assert all(f["severity"] is Severity.INFO and f["limit"] == 255 for f in found.values())
    assert result.evidence["rfc9989"]["name"] == "_dmarc.long-names.test"


@pytest.mark.parametrize(
    ("check_id", "prefix", "present"),
    [
        ("dns.mta_sts", "_mta-sts.", "mta_sts.present"),
        ("dns.tlsrpt", "_smtp._tls.", "tlsrpt.present"),
    ],
)
def test_txt_policy_name_too_long_is_named_with_its_length(
    resolver: Resolver, check_id: str, prefix: str, present: str
) -> None:
    """No policy can be published there: a warning like a missing record, saying why."""
    result = run(check_id, resolver, LONG)
    assert result.status is Status.WARN
    assert result.codes() == {"dns.name_too_long"}
    (finding,) = result.findings
    assert finding.details["name"] == prefix + LONG
    assert finding.details["octets"] == len(prefix + LONG) + 2
    assert "255-octet limit" in finding.message
    assert result.observations[present] is False


def test_dkim_selector_over_the_name_limit_fails_with_its_own_code(resolver: Resolver) -> None:
    """Signatures with that selector cannot verify; the finding says it is the length."""
    result = run("dns.dkim", resolver, LONG, DkimConfig(selectors=("s1",)))
    assert result.status is Status.FAIL
    assert result.codes() == {"dns.name_too_long"}
    (finding,) = result.findings
    assert finding.details["name"] == "s1._domainkey." + LONG
    assert finding.details["selector"] == "s1"
    assert finding.details["octets"] == 269
    assert result.observations["dkim.s1.present"] is False
    assert "269 octets" in result.evidence["selectors"]["s1"]["problem"]
    assert resolver.queries_sent == 0


def test_report_authorisation_name_too_long_means_no_reports(resolver: Resolver) -> None:
    """RFC 7489 §7.1: a reporter who cannot form the name cannot confirm, and sends nothing."""
    result = run("dns.dmarc", resolver, "rua.long-names.test")
    assert result.status is Status.WARN
    assert result.codes() == {"dns.name_too_long"}
    (finding,) = result.findings
    assert finding.severity is Severity.WARNING
    assert str(finding.details["name"]).startswith("rua.long-names.test._report._dmarc.rrr")
    assert finding.details["octets"] == 265
    assert finding.details["destination"] == finding.details["name"][35:]


def test_spf_target_over_the_name_limit_is_named_with_its_length(resolver: Resolver) -> None:
    """include: of a name no record can have is a permerror; a: of one never matches."""
    result = run("dns.spf", resolver, "spf.long-names.test")
    assert result.status is Status.FAIL
    found = [f for f in result.findings if f.code == "dns.name_too_long"]
    by_term = {str(f.details["term"]).split(":")[0]: f for f in found}
    assert set(by_term) == {"a", "include"}
    assert by_term["include"].severity is Severity.CRITICAL
    assert by_term["a"].severity is Severity.WARNING
    assert {f.details["octets"] for f in found} == {260}
    assert "spf.include_no_record" not in result.codes()


def test_an_unhandled_unaskable_name_is_recorded_not_raised() -> None:
    """The envelope's safety net: a path that forgets the case still yields a result."""

    def measure(out: Outcome) -> None:
        out.observations["x.present"] = True
        raise UnaskableName("_x." + LONG, "name_too_long", 259)

    result = run_measurement("x", LONG, CheckContext(resolver=None), measure)
    assert result.status is Status.ERROR
    (finding,) = result.findings
    assert (finding.code, finding.unmeasurable) == ("dns.name_too_long", True)
    assert result.observations == {"x.present": True}
