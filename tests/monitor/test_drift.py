"""Drift rules: every rule of monitor/drift.py's table, and what must never be drift."""

from __future__ import annotations

import dataclasses

import pytest

from checks.result import Severity, Status
from monitor.policy.drift import Direction, Drift, all_rules, detect_drift, rule_for
from tests.monitor._docs import drift_doc_text
from tests.monitor._fakes import make_result, timeout_finding

W, S, C = Direction.WEAKENED, Direction.STRENGTHENED, Direction.CHANGED
CRIT, WARN, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO

# (key, before, after, direction, severity)
CASES = [
    # DMARC policies: none < quarantine < reject
    ("dmarc.p", "reject", "none", W, CRIT),
    ("dmarc.p", "reject", "quarantine", W, CRIT),
    ("dmarc.p", "none", "reject", S, INFO),
    ("dmarc.sp", "reject", "none", W, CRIT),
    ("dmarc.sp", "quarantine", "reject", S, INFO),
    ("dmarc.np", "reject", "quarantine", W, CRIT),
    ("dmarc.np", "none", "quarantine", S, INFO),
    ("dmarc.p", "reject", "bogus", C, WARN),
    ("dmarc.pct", 100, 50, W, CRIT),
    ("dmarc.pct", 20, 100, S, INFO),
    ("dmarc.t", "n", "y", W, CRIT),
    ("dmarc.t", "y", "n", S, INFO),
    ("dmarc.t", False, True, W, CRIT),
    ("dmarc.present", True, False, W, CRIT),
    ("dmarc.present", False, True, S, INFO),
    # SPF: -all > ~all > ?all = none > +all
    ("spf.all", "-all", "~all", W, CRIT),
    ("spf.all", "~all", "?all", W, CRIT),
    ("spf.all", "~all", "none", W, CRIT),
    ("spf.all", "?all", "+all", W, CRIT),
    ("spf.all", "+all", "-all", S, INFO),
    ("spf.all", "?all", "none", C, WARN),
    ("spf.present", True, False, W, CRIT),
    ("spf.expected_include._spf.esp.test", True, False, W, CRIT),
    ("spf.expected_ip_range.192.0.2.0/24", True, False, W, CRIT),
    ("spf.expected_ip_range.192.0.2.0/24", False, True, S, INFO),
    ("spf.within_limits", True, False, W, CRIT),
    ("spf.include._spf.esp.test", True, False, C, WARN),
    ("spf.include._spf.esp.test", False, True, C, WARN),
    # DKIM, per selector
    ("dkim.s1.present", True, False, W, CRIT),
    ("dkim.s1.key_bits", 2048, 1024, W, CRIT),
    ("dkim.s1.key_bits", 1024, 2048, S, INFO),
    ("dkim.sel.with.dots.key_bits", 2048, 1024, W, CRIT),
    ("dkim.s1.key_bits", 4096, 2048, W, CRIT),
    # above 4096 bits (RFC 8301 §3.2: verifiers need not handle it) more is not stronger
    ("dkim.s1.key_bits", 2048, 16384, C, WARN),
    ("dkim.s1.key_bits", 16384, 2048, C, WARN),
    ("dkim.s1.key_bits", 8192, 32768, C, WARN),
    ("dkim.s1.revoked", False, True, W, CRIT),
    ("dkim.s1.revoked", True, False, S, INFO),
    ("dkim.s1.testing", False, True, W, WARN),
    ("dkim.s1.testing", True, False, S, INFO),
    ("dkim.s1.key_type", "rsa", "ed25519", C, WARN),
    # MX
    ("mx.present", True, False, W, CRIT),
    # MTA-STS and TLS-RPT: opt-in hardening that disappears is weakened (warning)
    ("mta_sts.present", True, False, W, WARN),
    ("tlsrpt.present", True, False, W, WARN),
    ("mta_sts.present", False, True, S, INFO),
    # Canary tokens and flags
    ("canary.spf", "pass", "fail", W, CRIT),
    ("canary.spf", "pass", "softfail", W, CRIT),
    ("canary.dkim", "pass", "none", W, CRIT),
    ("canary.dmarc", "pass", "fail", W, CRIT),
    ("canary.dmarc", "fail", "pass", S, INFO),
    ("canary.dkim", "fail", "none", C, WARN),
    ("canary.spf_aligned", True, False, W, CRIT),
    ("canary.dkim_aligned", True, False, W, CRIT),
    ("canary.tls", True, False, W, CRIT),
    ("canary.delivered", True, False, W, CRIT),
    ("canary.delivered", False, True, S, INFO),
    # Relay probe
    ("smtp.starttls", True, False, W, CRIT),
    ("smtp.cert_valid", True, False, W, CRIT),
    ("smtp.tls_version", "TLSv1.3", "TLSv1.2", W, CRIT),
    ("smtp.tls_version", "TLSv1.2", "TLSv1.3", S, INFO),
    ("smtp.auth_mechanisms", "LOGIN,PLAIN", "PLAIN", C, WARN),
    # Blocklists and reverse DNS: a new listing, FCrDNS lost
    ("blocklists.spamhaus-zen.192.0.2.25", "clean", "listed", W, CRIT),
    ("blocklists.spamhaus-zen.192.0.2.25", "listed", "clean", S, INFO),
    ("blocklists.surbl.discovered", "clean", "listed", W, CRIT),
    ("fcrdns.192.0.2.25", "pass", "mismatch", W, CRIT),
    ("fcrdns.canary", "generic", "missing", W, CRIT),
    ("fcrdns.192.0.2.25", "missing", "pass", S, INFO),
    # Everything else: a neutral change
    ("spf.lookups", 3, 4, C, WARN),
    ("mx.hosts", "a.test", "b.test", C, WARN),
    ("mta_sts.mode", "enforce", "testing", C, WARN),
]


@pytest.mark.parametrize(("key", "before", "after", "direction", "severity"), CASES)
def test_each_rule_classifies_a_change(
    key: str, before: object, after: object, direction: Direction, severity: Severity
) -> None:
    """Every rule of the table decides direction and severity as docs/drift.md promises."""
    drifts = detect_drift({key: before}, make_result(observations={key: after}))
    assert [(d.key, d.direction, d.severity) for d in drifts] == [(key, direction, severity)]
    assert (drifts[0].before, drifts[0].after) == (before, after)


def test_every_rule_in_the_table_is_exercised() -> None:
    """A rule added to the table without a test case here is caught."""
    tested = {rule_for(key).pattern for key, *_ in CASES}
    assert {rule.pattern for rule in all_rules()} <= tested


def test_every_rule_is_documented_in_docs_drift_md() -> None:
    """Operators read the rules in docs/drift.md; a rule missing there is a silent policy."""
    text = drift_doc_text()
    missing = [rule.pattern for rule in all_rules() if f"`{rule.pattern}`" not in text]
    assert missing == []


def test_a_key_only_in_the_result_is_added_and_only_in_the_baseline_removed() -> None:
    """Presence changes are reported even for keys with no ordering rule."""
    drifts = detect_drift(
        {"spf.include.old.test": True, "dmarc.p": "reject"},
        make_result(observations={"spf.include.new.test": True, "dmarc.p": "reject"}),
    )
    assert [(d.key, d.direction, d.severity, d.before, d.after) for d in drifts] == [
        ("spf.include.new.test", Direction.ADDED, WARN, None, True),
        ("spf.include.old.test", Direction.REMOVED, WARN, True, None),
    ]


def test_an_error_result_never_drifts() -> None:
    """A timeout must not look like a deleted record."""
    result = make_result(status=Status.ERROR, observations={}, findings=(timeout_finding(),))
    assert detect_drift({"dmarc.p": "reject", "dmarc.present": True}, result) == []


def test_evidence_and_versions_are_never_compared() -> None:
    """A different TXT split, tag order or checkdmarc upgrade changes evidence, not drift."""
    baseline = {"dmarc.p": "reject", "dmarc.pct": 100}
    result = make_result(
        observations={"dmarc.pct": 100, "dmarc.p": "reject"},
        evidence={"record": "v=DMARC1;  pct=100; p=reject", "strings": ["v=DMARC1; p=", "reject"]},
        versions={"checkdmarc": "6.0.9", "dnspython": "9.9"},
    )
    assert detect_drift(baseline, result) == []


def test_a_bool_turning_into_a_number_is_a_change() -> None:
    """True == 1 in Python, but a flag that became a count is a different observation."""
    drifts = detect_drift({"spf.lookups": True}, make_result(observations={"spf.lookups": 1}))
    assert [d.direction for d in drifts] == [Direction.CHANGED]


def test_int_and_float_of_the_same_value_are_not_drift() -> None:
    """JSON may hand back 2048.0 for 2048; the same number is the same observation."""
    drifts = detect_drift(
        {"dkim.s1.key_bits": 2048}, make_result(observations={"dkim.s1.key_bits": 2048.0})
    )
    assert drifts == []


def test_drift_carries_the_result_key_and_serialises_for_json() -> None:
    """Drift names the check, subject and environment it belongs to."""
    result = make_result("dmarc", "a.test", environment="prod", observations={"dmarc.p": "none"})
    (drift,) = detect_drift({"dmarc.p": "reject"}, result)
    assert drift.to_dict() == {
        "check": "dmarc",
        "subject": "a.test",
        "environment": "prod",
        "key": "dmarc.p",
        "before": "reject",
        "after": "none",
        "direction": "weakened",
        "severity": "critical",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        drift.key = "x"  # type: ignore[misc]
    assert isinstance(drift, Drift)


def test_drifts_come_sorted_by_key() -> None:
    """Stable order makes output and stored rows reproducible."""
    drifts = detect_drift(
        {"b": 1, "a": 1, "c": 1}, make_result(observations={"c": 2, "a": 2, "b": 2})
    )
    assert [d.key for d in drifts] == ["a", "b", "c"]
