"""Findings about one term of a walked SPF tree: what resolving its target found.

Apart from `_spf_report` (which judges the tree as a whole: limits, `all`, expectations) so
each module stays small; both are pure functions of the tree, tested without DNS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.dns._spf_tree import REDIRECT_IGNORED, UNKNOWN_MODIFIER, RecordNode, TermNode
from checks.dns.resolver import MAX_NAME_OCTETS, to_alabel, to_ulabel, wire_octets
from checks.result import Finding, Severity

__all__ = ["term_findings"]

CRIT, WARN, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


def _finding(code: str, severity: Severity, message: str, **details: Any) -> Finding:
    return Finding(code=code, severity=severity, message=message, details=details)


def term_findings(node: RecordNode, tn: TermNode, shown: str) -> Iterator[Finding]:
    """Findings of one term: ignored, deprecated, DNS error, or a problem with its target."""
    term = tn.term
    where = {"domain": node.domain, "term": term.text}
    if tn.skipped == REDIRECT_IGNORED:
        yield _finding(
            "spf.redirect_ignored",
            INFO,
            f"'{term.text}' in the record of {shown} is ignored because 'all' is present (§5.1).",
            **where,
        )
    if tn.skipped == UNKNOWN_MODIFIER:
        yield _finding(
            "spf.unknown_modifier", INFO, f"Unknown modifier '{term.text}' ignored.", **where
        )
    if tn.active and (term.name == "ptr" or term.uses_p_macro):
        yield _finding(
            "spf.ptr_deprecated",
            WARN,
            f"'{term.text}' in the record of {shown} uses ptr, which SHOULD NOT be used "
            "(§5.5): slow, unreliable, and ignored by some receivers.",
            **where,
        )
    if tn.dns_error is not None:
        exc = tn.dns_error
        yield Finding(
            code=f"dns.{exc.cause}",
            severity=CRIT,
            message=f"Could not measure: the {exc.rdtype} query for {to_ulabel(exc.name)} "
            f"(for '{term.text}' in the record of {shown}) failed ({exc.cause}).",
            details={
                **where,
                "name": exc.name,
                "rdtype": exc.rdtype,
                "cause": exc.cause,
                "detail": exc.detail,
            },
            unmeasurable=True,
        )
    if tn.problem:
        yield from _problem_findings(tn, where, shown)


def _problem_findings(tn: TermNode, where: dict[str, Any], shown: str) -> Iterator[Finding]:
    term, problem = tn.term, tn.problem
    target = tn.target or term.domain_spec or ""
    if problem == "name_too_long":
        yield _too_long_finding(tn, where, shown)
    elif problem in {"no_record", "malformed_domain"} and term.name in {"include", "redirect"}:
        why = "is not a valid domain name" if problem == "malformed_domain" else "has no SPF record"
        clause = "§5.2" if term.name == "include" else "§6.1"
        yield _finding(
            f"spf.{term.name}_no_record",
            CRIT,
            f"'{term.text}' in the record of {shown}: {to_ulabel(target)} {why}, "
            f"which is a permerror ({clause}).",
            **where,
            target=target,
        )
    elif problem == "malformed_domain":
        yield _finding(
            "spf.malformed_domain",
            WARN,
            f"'{term.text}' in the record of {shown} names no valid domain; it never matches.",
            **where,
        )
    elif problem == "multiple_records":
        yield _finding(
            "spf.multiple_records",
            CRIT,
            f"{to_ulabel(target)} (reached by '{term.text}' from {shown}) publishes more than "
            "one SPF record: permerror (§4.5).",
            **where,
            target=target,
        )
    elif problem == "loop":
        yield _finding(
            "spf.loop",
            CRIT,
            f"'{term.text}' in the record of {shown} leads back to {to_ulabel(target)}, "
            "which is already on this path: the evaluation can never finish (permerror).",
            **where,
            target=target,
        )
    elif problem == "mx_too_many_hosts":
        yield _finding(
            "spf.mx_too_many_hosts",
            CRIT,
            f"'{term.text}' in the record of {shown}: {to_ulabel(target)} has {tn.mx_hosts} MX "
            "hosts; more than 10 address lookups for one mx is a permerror (§4.6.4).",
            **where,
            hosts=tn.mx_hosts,
        )


def _too_long_finding(tn: TermNode, where: dict[str, Any], shown: str) -> Finding:
    """A target over 255 octets: no record can be there (§4.3), so include and redirect are a
    permerror (§5.2, §6.1) and other mechanisms never match."""
    term = tn.term
    name = to_alabel(term.domain_spec or "")
    octets = wire_octets(name)
    if term.name in {"include", "redirect"}:
        severity = CRIT
        clause = "§5.2" if term.name == "include" else "§6.1"
        consequence = f"no SPF record can be there, which is a permerror ({clause})"
    else:
        severity, consequence = WARN, "it never matches"
    return _finding(
        "dns.name_too_long",
        severity,
        f"The {term.name} target in the record of {shown} is {len(name)} characters ({octets} "
        f"octets on the wire), over the {MAX_NAME_OCTETS}-octet limit of a DNS name: "
        f"{consequence}.",
        **where,
        name=name,
        octets=octets,
        limit=MAX_NAME_OCTETS,
    )
