"""Turn a walked SPF tree into findings (stable codes) and observations (drift keys).

Why apart from the walk: the walk says what DNS holds; this module says what it means for a
receiver (permerror, open relay, weak `all`) and for drift (normalised flat facts). Both are
pure functions of the tree and the configuration, so they are tested without DNS.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator
from typing import Any

import idna

from checks.dns._spf_term_findings import term_findings
from checks.dns._spf_tree import IGNORED_AFTER_ALL, RecordNode, TermNode, Tree
from checks.dns.resolver import to_alabel, to_ulabel
from checks.result import Finding, Scalar, Severity

__all__ = ["effective_all", "expected_findings", "tree_findings", "tree_observations"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
CRIT, WARN, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


def _finding(code: str, severity: Severity, message: str, **details: Any) -> Finding:
    return Finding(code=code, severity=severity, message=message, details=details)


def effective_all(node: RecordNode) -> tuple[str, bool]:
    """The `all` that ends evaluation ("-all", ..., or "none"), following redirect (§6.1).

    Returns (value, broken_redirect): the second is True when a redirect leads nowhere, so
    "none" there is already reported as `spf.redirect_no_record` and not as a missing `all`.
    """
    all_term = node.record.all_term
    if all_term is not None:
        return f"{all_term.qualifier}all", False
    redirect = _redirect(node)
    if redirect is None:
        return "none", False
    if redirect.child is None:
        return "none", True
    return effective_all(redirect.child)


def _redirect(node: RecordNode) -> TermNode | None:
    return next(
        (tn for tn in node.terms if tn.term.name == "redirect" and tn.term.modifier and tn.active),
        None,
    )


def _passing_terms(node: RecordNode, passing: bool = True) -> Iterator[tuple[RecordNode, TermNode]]:
    """Active terms whose match would make the *queried* domain pass.

    A term inside an include counts only if every include above it is `+` (an inner pass
    maps to the outer qualifier, §5.2); a redirect hands its result through unchanged.
    """
    for tn in node.terms:
        if not tn.active:
            continue
        qualifier_pass = tn.term.qualifier == "+" or tn.term.modifier
        if passing and qualifier_pass:
            yield node, tn
        if tn.child is not None:
            yield from _passing_terms(tn.child, passing and bool(qualifier_pass))


def tree_findings(tree: Tree, max_lookups: int, max_voids: int) -> list[Finding]:
    """Every problem the tree shows, each naming its domain and term."""
    findings: list[Finding] = []
    for node in tree.nodes():
        findings.extend(_node_findings(node))
    findings.extend(_limit_findings(tree, max_lookups, max_voids))
    findings.extend(_all_findings(tree))
    if tree.truncated:
        findings.append(
            _finding(
                "spf.tree_truncated",
                WARN,
                "The SPF tree is too deep or too large to show in full; counts are lower bounds.",
            )
        )
    return findings


def _node_findings(node: RecordNode) -> Iterator[Finding]:
    shown = to_ulabel(node.domain)
    for term in node.record.errors:
        yield _finding(
            "spf.syntax_error",
            CRIT,
            f"Syntax error in the SPF record of {shown} at '{term.text}': {term.error}",
            domain=node.domain,
            term=term.text,
            error=term.error,
        )
    after_all = [tn.term.text for tn in node.terms if tn.skipped == IGNORED_AFTER_ALL]
    if after_all:
        yield _finding(
            "spf.terms_after_all",
            INFO,
            f"Mechanisms after 'all' in the record of {shown} are never evaluated: "
            + " ".join(after_all),
            domain=node.domain,
            terms=after_all,
        )
    for tn in node.terms:
        yield from term_findings(node, tn, shown)


def _limit_findings(tree: Tree, max_lookups: int, max_voids: int) -> Iterator[Finding]:
    if tree.lookups > max_lookups:
        culprit = _term_at(tree, max_lookups + 1)
        yield _finding(
            "spf.too_many_lookups",
            CRIT,
            f"SPF evaluation needs {tree.lookups} DNS lookups; the limit is {max_lookups} "
            f"(§4.6.4), so receivers return permerror"
            + (f" from '{culprit[1]}' in {to_ulabel(culprit[0])} on." if culprit else "."),
            lookups=tree.lookups,
            limit=max_lookups,
            first_over=({"domain": culprit[0], "term": culprit[1]} if culprit else None),
        )
    if tree.voids > max_voids:
        voids = [
            {"domain": n.domain, "term": tn.term.text}
            for n, tn in tree.term_nodes()
            if tn.void and tn.ordinal is not None
        ]
        yield _finding(
            "spf.too_many_void_lookups",
            CRIT,
            f"SPF evaluation meets {tree.voids} void lookups (NXDOMAIN or no answer); the "
            f"limit is {max_voids} (§4.6.4), so receivers return permerror.",
            void_lookups=tree.voids,
            limit=max_voids,
            voids=voids,
        )


def _term_at(tree: Tree, ordinal: int) -> tuple[str, str] | None:
    for node, tn in tree.term_nodes():
        if tn.ordinal == ordinal:
            return node.domain, tn.term.text
    return None


def _all_findings(tree: Tree) -> Iterator[Finding]:
    shown = to_ulabel(tree.root.domain)
    value, broken_redirect = effective_all(tree.root)
    if value == "+all":
        yield _finding(
            "spf.all_pass",
            CRIT,
            f"The SPF record of {shown} ends in +all: every host on the internet passes.",
            domain=tree.root.domain,
        )
    elif value == "?all":
        yield _finding(
            "spf.all_neutral",
            WARN,
            f"The SPF record of {shown} ends in ?all: unlisted hosts get neutral, "
            "which protects nothing.",
        )
    elif value == "~all":
        yield _finding(
            "spf.all_softfail",
            INFO,
            f"The SPF record of {shown} ends in ~all; -all is the stricter best practice "
            "once every sender is listed.",
        )
    elif value == "none" and not broken_redirect:
        yield _finding(
            "spf.no_all",
            WARN,
            f"The SPF record of {shown} has no 'all' (nor one via redirect): unlisted "
            "hosts get the default neutral (§4.7).",
        )
    chain = _redirect_chain(tree.root)  # their all is the effective one, reported above
    for node, tn in _passing_terms(tree.root):
        if tn.term.name == "all" and not any(node is n for n in chain):
            yield _finding(
                "spf.all_pass",
                CRIT,
                f"{to_ulabel(node.domain)}, reached from {shown}, ends in +all: the include "
                "matches every host, so every host passes.",
                domain=node.domain,
            )


def _redirect_chain(node: RecordNode) -> list[RecordNode]:
    chain = [node]
    redirect = _redirect(node)
    while redirect is not None and redirect.child is not None and node.record.all_term is None:
        node = redirect.child
        chain.append(node)
        redirect = _redirect(node)
    return chain


def authorised_networks(tree: Tree) -> list[Network]:
    """Networks that give the queried domain a pass (ip4/ip6 under `+` includes only)."""
    return [tn.term.network for _, tn in _passing_terms(tree.root) if tn.term.network is not None]


def include_targets(tree: Tree) -> set[str]:
    """A-label names of every evaluated include/redirect target in the tree."""
    return {
        tn.target
        for _, tn in tree.term_nodes()
        if tn.active and tn.term.name in {"include", "redirect"} and tn.target
    }


@dataclasses.dataclass(frozen=True)
class Expectations:
    """Configured expectations, normalised: A-label includes and parsed networks."""

    includes: tuple[str, ...]
    ranges: tuple[tuple[str, Network | None], ...]

    @classmethod
    def from_config(cls, includes: tuple[str, ...], ranges: tuple[str, ...]) -> Expectations:
        parsed: list[tuple[str, Network | None]] = []
        for text in ranges:
            try:
                net: Network | None = ipaddress.ip_network(text.strip(), strict=False)
            except ValueError:
                net = None
            parsed.append((str(net) if net else text, net))
        return cls(tuple(_include_key(i) for i in includes), tuple(parsed))


def _include_key(name: str) -> str:
    """A-label form of a configured include; a name IDNA rejects is kept (and never found)."""
    try:
        return to_alabel(name)
    except idna.IDNAError:
        return name.strip().rstrip(".").lower()


def expected_findings(
    expect: Expectations, includes: set[str], networks: list[Network], shown: str
) -> tuple[list[Finding], dict[str, Scalar]]:
    """Check configured includes and ranges; return findings and their observations."""
    findings: list[Finding] = []
    observations: dict[str, Scalar] = {}
    for name in expect.includes:
        present = name in includes
        observations[f"spf.expected_include.{name}"] = present
        if not present:
            findings.append(
                _finding(
                    "spf.expected_include_missing",
                    CRIT,
                    f"The SPF tree of {shown} does not include {to_ulabel(name)}.",
                    include=name,
                    found=sorted(includes),
                )
            )
    for key, net in expect.ranges:
        covered = net is not None and _covered(net, networks)
        observations[f"spf.expected_ip_range.{key}"] = covered
        if not covered:
            findings.append(
                _finding(
                    "spf.expected_ip_range_missing",
                    CRIT,
                    f"The SPF tree of {shown} does not authorise {key}"
                    + ("" if net else " (not a valid CIDR range)")
                    + ".",
                    range=key,
                    authorised=sorted({str(n) for n in networks}),
                )
            )
    return findings, observations


def _covered(net: Network, networks: list[Network]) -> bool:
    same = [n for n in networks if n.version == net.version]
    merged = ipaddress.collapse_addresses(same)  # type: ignore[type-var]
    return any(net.subnet_of(m) for m in merged)  # type: ignore[arg-type]


def tree_observations(tree: Tree, max_lookups: int, max_voids: int) -> dict[str, Scalar]:
    """The flat drift facts of a walked tree (tag order and TXT splits do not show)."""
    mx_ok = not any(tn.problem == "mx_too_many_hosts" for _, tn in tree.term_nodes())
    obs: dict[str, Scalar] = {
        "spf.present": True,
        "spf.all": effective_all(tree.root)[0],
        "spf.lookups": tree.lookups,
        "spf.void_lookups": tree.voids,
        "spf.within_limits": tree.lookups <= max_lookups and tree.voids <= max_voids and mx_ok,
    }
    for family in ("ip4", "ip6"):
        nets = sorted(
            (tn.term.network, tn.term.qualifier)
            for tn in tree.root.terms
            if tn.active and tn.term.name == family and tn.term.network is not None
        )
        obs[f"spf.{family}"] = ",".join(
            ("" if qualifier == "+" else qualifier) + str(net) for net, qualifier in nets
        )
    for name in sorted(include_targets(tree)):
        obs[f"spf.include.{name}"] = True
    return obs
