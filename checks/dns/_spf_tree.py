"""The static SPF include/redirect tree and its lookup counts (RFC 7208 §4.6.4, §5, §6.1).

Why our own walk (docs/spf.md has the measured reasons): checkdmarc counted void lookups
twice and added a redirect's voids to the total (#94, #211), counted each MX host toward the
global 10 (#197), flagged ordinary include chains as loops (#55) and looked macros up
literally (#81). Here:

1. Fetch: breadth first. All queries of one tree level go out together on `pool`, and the
   per-run resolver cache answers include chains shared by many domains.
2. Count: one depth-first pass in evaluation order (mechanisms, then `redirect`) assigns each
   DNS-costing term its ordinal in the global count. Totals and voids are separate counters,
   and a void is counted in exactly one place (`_count`).

The walk does not stop at the limit: it goes on (bounded by `max_depth`/`max_nodes`) so a
user sees how far over 10 the record is and which include costs what.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

import dns.exception
import idna

from checks.dns._spf_grammar import SpfRecord, Term, is_spf_record, parse_record
from checks.dns._spf_macro import expand
from checks.dns.resolver import Answer, DnsUnavailable, UnaskableName, name_problem, to_alabel

__all__ = ["RecordNode", "TermNode", "Tree", "valid_domain", "walk"]

MAX_MX_HOSTS = 10

# Why a term is not evaluated (shown in the tree; such terms never count).
IGNORED_AFTER_ALL = "after 'all': never evaluated (§5.1)"
REDIRECT_IGNORED = "'all' is present, so redirect is ignored (§5.1)"
INVALID = "syntax error"
NOT_COUNTED = "not counted (§4.6.4)"
UNKNOWN_MODIFIER = "unknown modifier: ignored (§6)"
MACRO_NOTE = "contains macros: counted, expanded only for a real client, not looked up"
PTR_NOTE = "needs the client IP: counted, not looked up"


@dataclasses.dataclass
class TermNode:
    """One term of one record in the tree, with what resolving it found."""

    term: Term
    skipped: str | None = None  # why it is not evaluated (IGNORED_AFTER_ALL, ...)
    note: str | None = None
    target: str | None = None  # A-label name the term queries, when it has no macros
    records: tuple[str, ...] = ()  # addresses, MX hosts or TXT records found
    void: bool = False
    mx_hosts: int = 0
    problem: str | None = None  # no_record, name_too_long, multiple_records, loop, mx_too_many...
    dns_error: DnsUnavailable | None = None
    child: RecordNode | None = None
    ordinal: int | None = None  # position in the global lookup count (1-based)
    lookups: int = 0  # this term plus everything below it
    voids: int = 0

    @property
    def active(self) -> bool:
        return self.skipped is None

    @property
    def resolvable(self) -> bool:
        """Looked up by the static walk: costs a lookup and names a concrete domain."""
        return self.active and self.term.costs_lookup and self.target is not None


@dataclasses.dataclass
class RecordNode:
    """One SPF record in the tree (the queried domain, or an include/redirect target)."""

    domain: str
    record: SpfRecord
    strings: tuple[str, ...]
    depth: int
    path: tuple[str, ...]
    via: str  # "root", "include" or "redirect"
    terms: list[TermNode] = dataclasses.field(default_factory=list)
    lookups: int = 0
    voids: int = 0

    def iter_nodes(self) -> Iterator[RecordNode]:
        yield self
        for tn in self.terms:
            if tn.child is not None:
                yield from tn.child.iter_nodes()

    def to_dict(self) -> dict[str, Any]:
        """Evidence form: nested plain data a human (or the debug view) can read."""
        return {
            "domain": self.domain,
            "via": self.via,
            "record": self.record.text,
            "lookups": self.lookups,
            "void_lookups": self.voids,
            "terms": [_term_dict(tn) for tn in self.terms],
        }


def _term_dict(tn: TermNode) -> dict[str, Any]:
    out: dict[str, Any] = {"term": tn.term.text, "lookups": tn.lookups, "voids": tn.voids}
    optional = {
        "ordinal": tn.ordinal,
        "target": tn.target,
        "skipped": tn.skipped,
        "note": tn.note,
        "error": tn.term.error,
        "problem": tn.problem,
        "void": tn.void or None,
        "records": (list(tn.records) or None) if tn.child is None else None,
        "dns_error": str(tn.dns_error) if tn.dns_error else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    out["children"] = [tn.child.to_dict()] if tn.child is not None else []
    return out


@dataclasses.dataclass
class Tree:
    """The walked tree plus its totals."""

    root: RecordNode
    lookups: int
    voids: int
    truncated: bool

    def nodes(self) -> Iterator[RecordNode]:
        return self.root.iter_nodes()

    def term_nodes(self) -> Iterator[tuple[RecordNode, TermNode]]:
        for node in self.nodes():
            for tn in node.terms:
                yield node, tn


def valid_domain(name: str) -> bool:
    """A name a DNS query can carry: labels of 1..63 octets, 253 in all, multi-label (§4.3)."""
    name = name[:-1] if name.endswith(".") else name
    labels = name.split(".")
    return (
        0 < len(name) <= 253
        and len(labels) > 1
        and all(0 < len(label) <= 63 and " " not in label for label in labels)
    )


def walk(
    domain: str,
    record: SpfRecord,
    strings: tuple[str, ...],
    resolver: Any,
    pool: Executor,
    *,
    max_depth: int = 20,
    max_nodes: int = 100,
) -> Tree:
    """Build the tree under `record` (published at A-label `domain`) and count it."""
    root = _make_node(domain, record, strings, depth=0, path=(), via="root")
    frontier = [root]
    node_count = 1
    truncated = False
    while frontier:
        pending = [tn for node in frontier for tn in node.terms if tn.resolvable]
        _resolve_all(pending, resolver, pool)
        next_frontier: list[RecordNode] = []
        for node in frontier:
            for tn in node.terms:
                if tn.term.name not in {"include", "redirect"} or not tn.resolvable:
                    continue
                child = _child(node, tn)
                if child is None:
                    continue
                if child.depth > max_depth or node_count >= max_nodes:
                    tn.problem = "truncated"
                    truncated = True
                    continue
                tn.child = child
                node_count += 1
                next_frontier.append(child)
        frontier = next_frontier
    counter = _Counter()
    _count(root, counter)
    return Tree(root=root, lookups=counter.total, voids=counter.voids, truncated=truncated)


def _make_node(
    domain: str,
    record: SpfRecord,
    strings: tuple[str, ...],
    *,
    depth: int,
    path: tuple[str, ...],
    via: str,
) -> RecordNode:
    node = RecordNode(domain, record, strings, depth, (*path, domain), via)
    evaluated = {id(t) for t in record.evaluated_mechanisms()}
    redirect = record.effective_redirect
    for term in record.terms:
        tn = TermNode(term)
        if term.error:
            tn.skipped = INVALID
        elif term.modifier:
            if term.name == "redirect" and term is not redirect:
                tn.skipped = REDIRECT_IGNORED if record.all_term else "duplicate"
            elif term.name == "exp":
                tn.skipped = NOT_COUNTED
            elif term.name != "redirect":
                tn.skipped = UNKNOWN_MODIFIER
        elif id(term) not in evaluated:
            tn.skipped = IGNORED_AFTER_ALL
        if tn.active and term.costs_lookup:
            _set_target(tn, domain)
        node.terms.append(tn)
    return node


def _set_target(tn: TermNode, domain: str) -> None:
    term = tn.term
    if term.has_macro:
        tn.note = MACRO_NOTE
        return
    if term.name == "ptr":
        tn.note = PTR_NOTE
        return
    if term.domain_spec is None:
        tn.target = domain
        return
    name = expand(term.tokens, {})
    try:
        alabel = to_alabel(name)
    except idna.IDNAError:
        alabel = ""
    if not valid_domain(alabel):
        unaskable = name_problem(alabel) if alabel else None
        too_long = unaskable is not None and unaskable.reason == "name_too_long"
        tn.problem = "name_too_long" if too_long else "malformed_domain"
        return
    tn.target = alabel.rstrip(".")


def _resolve_all(pending: list[TermNode], resolver: Any, pool: Executor) -> None:
    """Ask every term's question of one level at once (one round trip per tree level).

    The calling thread asks the first question itself and reads cached answers; only the
    other unanswered questions go to the pool.
    """
    if not pending:
        return
    # Answers this run already has (shared ESP includes) are read inline: a hand-off to the
    # pool costs more CPU than the cache lookup it would wrap.
    ask = [tn for tn in pending if not _answered(tn, resolver)]
    futures = [pool.submit(_resolve, tn, resolver) for tn in ask[1:]]
    asked = {id(tn) for tn in ask}
    for tn in pending:
        if id(tn) not in asked:
            _resolve(tn, resolver)
    if ask:
        _resolve(ask[0], resolver)  # the calling thread asks one question itself
    for future in futures:
        future.result()


def _answered(tn: TermNode, resolver: Any) -> bool:
    """The term's question is in the run's cache already (include/redirect: TXT)."""
    if tn.term.name not in ("include", "redirect"):
        return False
    return bool(resolver.has_answer(tn.target, "TXT"))


def _resolve(tn: TermNode, resolver: Any) -> None:
    name = tn.target
    assert name is not None
    try:
        tn.records, tn.void = _QUERIES[tn.term.name](resolver, name)
    except DnsUnavailable as exc:
        tn.dns_error = exc
    except (UnaskableName, dns.exception.DNSException):
        tn.problem = "malformed_domain"
        return
    if tn.term.name == "mx":
        tn.mx_hosts = len(tn.records)
        if tn.mx_hosts > MAX_MX_HOSTS:
            tn.problem = "mx_too_many_hosts"


def _query_txt(resolver: Any, name: str) -> tuple[tuple[str, ...], bool]:
    answer: Answer = resolver.txt(name)
    return answer.records, answer.void


def _query_address(resolver: Any, name: str) -> tuple[tuple[str, ...], bool]:
    """A, then AAAA only if there is no A: void means no address of either family."""
    answer: Answer = resolver.query(name, "A")
    if not answer.void or answer.nxdomain:
        return answer.records, answer.void
    answer6: Answer = resolver.query(name, "AAAA")
    return answer6.records, answer6.void


def _query_exists(resolver: Any, name: str) -> tuple[tuple[str, ...], bool]:
    answer: Answer = resolver.query(name, "A")  # exists always asks A (§5.7)
    return answer.records, answer.void


def _query_mx(resolver: Any, name: str) -> tuple[tuple[str, ...], bool]:
    answer: Answer = resolver.query(name, "MX")
    hosts = tuple(
        host
        for host in (r.split()[-1].rstrip(".").lower() for r in answer.records)
        if host  # a null MX ("0 .", RFC 7505) names no host
    )
    return hosts, answer.void


_QUERIES: dict[str, Callable[[Any, str], tuple[tuple[str, ...], bool]]] = {
    "include": _query_txt,
    "redirect": _query_txt,
    "a": _query_address,
    "mx": _query_mx,
    "exists": _query_exists,
}


def _child(node: RecordNode, tn: TermNode) -> RecordNode | None:
    """The record an include/redirect leads to, or None with `tn.problem` saying why."""
    if tn.dns_error is not None or tn.problem:
        return None
    found = [r for r in tn.records if is_spf_record(r)]
    if not found:
        tn.problem = "no_record"
        return None
    if len(found) > 1:
        tn.problem = "multiple_records"
        return None
    assert tn.target is not None
    if tn.target in node.path:
        tn.problem = "loop"
        return None
    return _make_node(
        tn.target,
        parse_record(found[0]),
        (),
        depth=node.depth + 1,
        path=node.path,
        via=tn.term.name,
    )


@dataclasses.dataclass
class _Counter:
    total: int = 0
    voids: int = 0


def _count(node: RecordNode, counter: _Counter) -> None:
    """Number the DNS-costing terms in evaluation order; the only place voids are counted."""
    start_total, start_voids = counter.total, counter.voids
    in_order = [tn for tn in node.terms if not tn.term.modifier] + [
        tn for tn in node.terms if tn.term.modifier
    ]
    for tn in in_order:
        if not (tn.active and tn.term.costs_lookup):
            continue
        before_total, before_voids = counter.total, counter.voids
        counter.total += 1
        tn.ordinal = counter.total
        if tn.void:
            counter.voids += 1
        if tn.child is not None:
            _count(tn.child, counter)
        tn.lookups = counter.total - before_total
        tn.voids = counter.voids - before_voids
    node.lookups = counter.total - start_total
    node.voids = counter.voids - start_voids
