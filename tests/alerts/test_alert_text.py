"""monitor.policy.alert_text: summaries a person reads, and the evidence excerpt (pure)."""

from __future__ import annotations

import json

import pytest

from checks.result import Finding, Scalar, Severity, Status
from monitor.policy.alert_text import (
    EVIDENCE_MAX,
    drift_summary,
    evidence_excerpt,
    finding_summary,
    unavailable_summary,
)
from monitor.policy.drift import Direction, Drift
from tests.alerts.conftest import finding, result

W, C = Severity.WARNING, Severity.CRITICAL


def _drift(
    check: str, key: str, before: Scalar, after: Scalar, direction: str = "weakened"
) -> Drift:
    subject = "production" if check in ("canary", "smtp") else "example.com"
    return Drift(check, subject, None, key, before, after, Direction(direction), C)


@pytest.mark.parametrize(
    ("drift", "summary"),
    [
        (
            _drift("dmarc", "dmarc.p", "reject", "none"),
            "DMARC policy of example.com weakened: p reject → none",
        ),
        (_drift("spf", "spf.present", True, False), "SPF record of example.com removed"),
        (
            _drift("mta_sts", "mta_sts.present", True, None, "removed"),
            "MTA-STS record of example.com removed",
        ),
        (_drift("dkim", "dkim.s1.present", True, False), "DKIM key s1 of example.com removed"),
        (
            _drift("dkim", "dkim.s1.key_bits", 2048, 1024),
            "DKIM of example.com weakened: s1.key_bits 2048 → 1024",
        ),
        (
            _drift("spf", "spf.include._spf.example.net", True, None, "removed"),
            "SPF of example.com removed: include._spf.example.net true → (absent)",
        ),
        (
            _drift("canary", "canary.dkim", "pass", "fail"),
            "Canary of production: DKIM failed at the receiver",
        ),
        (
            _drift("canary", "canary.spf", "pass", "softfail"),
            "Canary of production: SPF softfail (was pass) at the receiver",
        ),
        (
            _drift("canary", "canary.tls", True, False),
            "Canary of production: the receiving hop no longer used TLS",
        ),
        (
            _drift("smtp", "smtp.tls_version", "TLSv1.3", "TLSv1.2"),
            "Relay TLS version of production weakened: tls_version TLSv1.3 → TLSv1.2",
        ),
    ],
)
def test_drift_summaries_read_as_sentences(drift: Drift, summary: str) -> None:
    """Check names as people say them, values as words, never `'reject'` or `None`."""
    assert drift_summary(drift) == summary


def test_drift_summary_counts_the_other_changes() -> None:
    """One line stays one line; the changes themselves travel in `changes`."""
    text = drift_summary(_drift("dmarc", "dmarc.p", "reject", "none"), more=2)
    assert text == "DMARC policy of example.com weakened: p reject → none (+2 more changes)"


@pytest.mark.parametrize(
    ("check", "subject", "findings", "summary"),
    [
        ("spf", "example.com", [finding("spf.missing")], "SPF record of example.com missing"),
        (
            "tlsrpt",
            "example.com",
            [finding("tlsrpt.missing", W)],
            "TLS-RPT record of example.com missing",
        ),
        (
            "dkim",
            "example.com",
            [
                Finding("dkim.selector_missing", C, "No key at s1.", {"selector": "s1"}),
                Finding("dkim.selector_missing", C, "No key at s2.", {"selector": "s2"}),
            ],
            "DKIM keys s1, s2 of example.com missing",
        ),
        (
            "canary",
            "production",
            [finding("canary.dkim_fail", C, "DKIM fail for s1 (example.com)")],
            "Canary of production: DKIM failed at the receiver (DKIM fail for s1 (example.com))",
        ),
        (
            "smtp",
            "production",
            [finding("smtp.cert_expiring", W, "The certificate expires in 9 days.")],
            "Relay of production: The certificate expires in 9 days",
        ),
        (
            "dmarc",
            "example.com",
            [finding("dmarc.sp_weaker", W, "sp=none is weaker than p=reject.")],
            "DMARC of example.com: sp=none is weaker than p=reject",
        ),
    ],
)
def test_finding_summaries_name_the_check_and_subject(
    check: str, subject: str, findings: list[Finding], summary: str
) -> None:
    """`SPF record of example.com missing`, not `SPF example.com:` or a raw code."""
    res = result(*findings, check=check, subject=subject)
    assert finding_summary(res, findings) == summary


def test_unavailable_summary_says_why_without_repeating_itself() -> None:
    """The DNS finding already says "Could not measure"; the summary says it once."""
    timeout = Finding(
        "dns.timeout",
        C,
        "Could not measure: the TXT query for _dmarc.example.com failed (timeout) after retries.",
        unmeasurable=True,
    )
    res = result(timeout, check="dmarc", subject="example.com", status=Status.ERROR)
    assert unavailable_summary(res) == (
        "DMARC of example.com could not be measured: the TXT query for _dmarc.example.com "
        "failed (timeout) after retries"
    )


def test_evidence_excerpt_is_a_bounded_json_object_with_the_record_first() -> None:
    """Receivers parse it; people see the record before the lookup trail."""
    evidence = {
        "lookups": [{"name": f"_dmarc.{i}.example.com", "rcode": "NXDOMAIN"} for i in range(40)],
        "record": "v=DMARC1; p=none",
        "tree": {"a": {"b": {"c": {"d": {"e": "deep"}}}}},
        "huge": "x" * 5000,
    }
    excerpt = evidence_excerpt(evidence)
    text = json.dumps(excerpt, separators=(",", ":"), ensure_ascii=False)
    assert len(text) <= EVIDENCE_MAX
    assert next(iter(excerpt)) == "record"
    assert excerpt["record"] == "v=DMARC1; p=none"
    assert len(excerpt["lookups"]) == 11 and excerpt["lookups"][-1] == "… 30 more"
    assert excerpt["huge"].endswith("…") and len(excerpt["huge"]) == 300
    assert excerpt["tree"] == {"a": {"b": {"c": {"d": "{1 key}"}}}}


def test_evidence_that_does_not_fit_is_named_not_dropped_silently() -> None:
    """The reader learns which parts were left out (the stored result keeps them)."""
    evidence = {f"k{i}": "y" * 290 for i in range(10)}
    excerpt = evidence_excerpt(evidence, limit=700)
    assert list(excerpt) == ["k0", "k1", "_omitted"]
    assert excerpt["_omitted"] == [f"k{i}" for i in range(2, 10)]


def test_evidence_values_json_has_no_type_for_become_text_not_reprs() -> None:
    """Bytes are decoded, times are ISO 8601, a traceback keeps its last line."""
    trace = "Traceback (most recent call last):\n" + "  frame\n" * 100 + "ValueError: boom"
    excerpt = evidence_excerpt({"raw": b"v=spf1 -all", "traceback": trace, "n": (1, 2)})
    assert excerpt["raw"] == "v=spf1 -all"
    assert excerpt["traceback"].endswith("ValueError: boom")
    assert excerpt["n"] == [1, 2]
