"""Turn an evaluation into Findings with stable codes (table: docs/authentication-results.md).

Codes, not sentences, are what drift and alerts compare; messages are for people. Every
authentication failure is critical; alignment of SPF, TLS and selector surprises warn.
"""

from __future__ import annotations

from checks.canary.authresults.alignment import normalise_domain
from checks.canary.authresults.evaluate import Evaluation, Expectations, MethodVerdict
from checks.canary.authresults.received import ReceivingHop
from checks.canary.authresults.trust import TrustDecision
from checks.result import Finding, Severity

__all__ = ["findings_for"]

CRIT = Severity.CRITICAL
WARN = Severity.WARNING


def findings_for(
    evaluation: Evaluation,
    decision: TrustDecision,
    hop: ReceivingHop | None,
    expect: Expectations,
) -> list[Finding]:
    """All findings for one inspected message, in a stable order."""
    found: list[Finding] = []
    found += _trust_findings(decision)
    found += _author_findings(evaluation, expect)
    if decision.trusted and not decision.unreadable:
        found += _spf_findings(evaluation.spf)
        found += _dkim_findings(evaluation, expect)
        found += _dmarc_findings(evaluation.dmarc)
    found += _tls_findings(hop)
    return found


def _trust_findings(decision: TrustDecision) -> list[Finding]:
    if decision.unreadable:
        return [_unreadable(decision)]
    if not decision.trusted:
        reasons = [f"{i.header.name}: {i.reason}" for i in decision.ignored]
        return [
            Finding(
                "canary.no_trusted_results",
                CRIT,
                "no Authentication-Results header from a trusted receiver"
                + (f"; ignored {len(reasons)}" if reasons else "; the message has none"),
                {"ignored": reasons},
                unmeasurable=True,
            )
        ]
    broken = [t for t in decision.trusted if t.header.parsed.problems]
    if not broken:
        return []
    problems = [p for t in broken for p in t.header.parsed.problems]
    return [
        Finding(
            "canary.ar_malformed",
            WARN,
            f"a trusted Authentication-Results header is malformed: {problems[0]}",
            {"problems": problems, "headers": [t.header.value for t in broken]},
        )
    ]


def _unreadable(decision: TrustDecision) -> Finding:
    """The receiver's own header could not be read: the verdict is unknown, not pass or fail."""
    first = decision.unreadable[0]
    parsed = first.header.parsed
    whose = (
        f"with the trusted authserv-id {parsed.authserv_id}"
        if parsed.authserv_id
        else "whose authserv-id cannot be read, where the receiver's header stands"
        if parsed.id_unread
        else "without authserv-id, Microsoft's by position"
    )
    return Finding(
        "canary.ar_unreadable",
        CRIT,
        f"the receiver's Authentication-Results header ({whose}) could not be read: "
        f"{parsed.unreadable}; no lower header may decide in its place",
        {
            "headers": [
                {
                    "position": u.header.position,
                    "authserv_id": u.header.parsed.authserv_id,
                    "reason": u.header.parsed.unreadable,
                    "length": len(u.header.value),
                    "excerpt": u.header.value[:200],
                }
                for u in decision.unreadable
            ]
        },
        unmeasurable=True,
    )


def _author_findings(evaluation: Evaluation, expect: Expectations) -> list[Finding]:
    author = evaluation.author
    found: list[Finding] = []
    if author.problem:
        found.append(
            Finding(
                "canary.from_invalid",
                CRIT,
                f"From header: {author.problem}",
                {"addresses": list(author.addresses), "domain": author.domain},
            )
        )
    wanted = normalise_domain(expect.from_domain) or ""
    if wanted and author.domain and author.domain != wanted:
        found.append(
            Finding(
                "canary.from_unexpected",
                WARN,
                f"From domain is {author.domain}, expected {wanted}",
                {"expected": wanted, "actual": author.domain},
            )
        )
    return found


def _indeterminate(verdict: MethodVerdict) -> Finding:
    return Finding(
        "canary.result_indeterminate",
        CRIT,
        f"{verdict.method} result {verdict.raw!r} is not a result we know for {verdict.method}",
        {"method": verdict.method, "raw": verdict.raw},
    )


def _spf_findings(spf: MethodVerdict) -> list[Finding]:
    if spf.result == "indeterminate":
        return [_indeterminate(spf)]
    if not spf.passed:
        return [
            Finding(
                "canary.spf_fail",
                CRIT,
                f"SPF {spf.result}" + (f" for {spf.domain}" if spf.domain else ""),
                {"result": spf.result, "raw": spf.raw, "domain": spf.domain},
            )
        ]
    if not spf.aligned:
        return [
            Finding(
                "canary.spf_not_aligned",
                WARN,
                f"SPF passed for {spf.domain or 'an unknown domain'}, not aligned with From",
                {"domain": spf.domain},
            )
        ]
    return []


def _dkim_findings(evaluation: Evaluation, expect: Expectations) -> list[Finding]:
    dkim = evaluation.dkim
    details = {"result": dkim.result, "domain": dkim.domain, "selector": dkim.selector}
    found: list[Finding] = []
    if dkim.raw is None or dkim.result == "none":
        found.append(Finding("canary.dkim_none", CRIT, "DKIM: no signature verified", details))
    elif dkim.result == "indeterminate":
        found.append(_indeterminate(dkim))
    elif not dkim.passed:
        found.append(
            Finding("canary.dkim_fail", CRIT, f"DKIM {dkim.result} for {_sig(dkim)}", details)
        )
    if dkim.body_hash_mismatch:
        found.append(
            Finding(
                "canary.dkim_body_hash",
                WARN,
                f"DKIM body hash did not verify for {_sig(dkim)}: the body changed in transit",
                details,
            )
        )
    if dkim.domain and dkim.aligned is False:
        found.append(
            Finding(
                "canary.dkim_not_aligned",
                CRIT,
                f"DKIM signing domain {dkim.domain} is not aligned with the From domain",
                details,
            )
        )
    if dkim.passed and dkim.aligned and not dkim.matched_signature:
        found.append(
            Finding(
                "canary.dkim_signature_missing",
                CRIT,
                f"DKIM pass reported for {_sig(dkim)}, but the message carries no such signature",
                details,
            )
        )
    found += _selector_findings(evaluation, expect)
    return found


def _selector_findings(evaluation: Evaluation, expect: Expectations) -> list[Finding]:
    dkim = evaluation.dkim
    wanted = tuple(s.lower() for s in expect.dkim_selectors)
    if not wanted or not (dkim.passed and dkim.aligned):
        return []
    found: list[Finding] = []
    if dkim.selector not in wanted:
        found.append(
            Finding(
                "canary.selector_unexpected",
                WARN,
                f"DKIM passed with selector {dkim.selector or '(not reported)'}, "
                f"expected one of {', '.join(wanted)}",
                {"selector": dkim.selector, "expected": list(wanted)},
            )
        )
    failed = [
        r
        for r in evaluation.dkim_results
        if r.aligned and r.selector in wanted and r.matched_signature and not r.passed
    ]
    if failed:
        found.append(
            Finding(
                "canary.dkim_partial_fail",
                WARN,
                "another of our DKIM signatures did not pass: "
                + ", ".join(f"{r.selector}={r.result}" for r in failed),
                {"failed": {str(r.selector): r.result for r in failed}},
            )
        )
    return found


def _dmarc_findings(dmarc: MethodVerdict) -> list[Finding]:
    if dmarc.result == "indeterminate":
        return [_indeterminate(dmarc)]
    if dmarc.passed:
        return []
    return [
        Finding(
            "canary.dmarc_fail",
            CRIT,
            f"DMARC {dmarc.result}" + (f" for {dmarc.domain}" if dmarc.domain else ""),
            {"result": dmarc.result, "raw": dmarc.raw, "domain": dmarc.domain},
        )
    ]


def _tls_findings(hop: ReceivingHop | None) -> list[Finding]:
    if hop is None:
        return [
            Finding(
                "canary.no_tls",
                WARN,
                "the receiver's Received header was not found; TLS on the receiving hop unknown",
                {"received": None},
            )
        ]
    if hop.hop.tls:
        return []
    return [
        Finding(
            "canary.no_tls",
            WARN,
            f"the receiving hop to {hop.hop.by_host or 'the receiver'} did not use TLS "
            f"(with {hop.hop.protocol or '?'})",
            {"received": hop.hop.raw, "protocol": hop.hop.protocol},
        )
    ]


def _sig(verdict: MethodVerdict) -> str:
    parts = [f"d={verdict.domain}" if verdict.domain else "unknown domain"]
    if verdict.selector:
        parts.append(f"s={verdict.selector}")
    return " ".join(parts)
