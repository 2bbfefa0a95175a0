"""Who a source is: a configured sender, our own SPF, or its reverse-DNS organisation.

A source is *authorised* when a configured sender claims it (`[[domains.senders]]`: its SPF
include authorises the IP, the IP is in its ranges, or its reverse name ends with one of its
suffixes) or when the policy domain's own SPF record passes for it. Everything else that
sends as the domain is unauthorised: a forgotten service, a forwarder, or a spoofer.

SPF is evaluated with our own `check_host()` (`checks.dns._spf_eval`) through the shared
resolver, so the answer is what a receiver would decide for that IP today; results are cached
per (IP, SPF domain) for the life of this object. A week of reports holds thousands of
spoofing IPs, so each SPF domain's tree is walked once first: when nothing but `ip4`/`ip6`
terms can make it pass (no `a`, `mx`, `ptr`, `exists`, macro or `+all` anywhere in it), an
IP outside all of its networks cannot pass and is not evaluated; any other IP still is.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from checks.psl import organizational_domain

__all__ = ["SenderRule", "Source", "SourceClassifier", "spf_networks"]


@dataclasses.dataclass(frozen=True, slots=True)
class SenderRule:
    """One configured sender of a domain."""

    name: str
    spf_include: str | None = None
    ip_ranges: tuple[str, ...] = ()
    ptr_suffixes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """What is known about one source IP sending as a domain."""

    group: str  # sender name, reverse-DNS organisation, or the IP itself
    authorised: bool
    via: str  # "sender" | "spf" | "none"


class SourceClassifier:
    """Classifies source IPs for one policy domain (cached, DNS through our resolver)."""

    def __init__(self, resolver: Any, domain: str, senders: Sequence[SenderRule] = ()) -> None:
        self.resolver = resolver
        self.domain = domain
        self.senders = tuple(senders)
        self._spf: dict[tuple[str, str], bool] = {}
        self._networks: dict[str, NetworkSet | None] = {}

    def classify(self, ip: str, ptr: str | None) -> Source:
        address = _address(ip)
        for rule in self.senders:
            if self._claims(rule, ip, address, ptr):
                return Source(rule.name, True, "sender")
        group = _organisation(ptr) or ip
        if self._spf_passes(ip, address, self.domain):
            return Source(group, True, "spf")
        return Source(group, False, "none")

    def _claims(self, rule: SenderRule, ip: str, address: Address | None, ptr: str | None) -> bool:
        if ptr and any(ptr == s or ptr.endswith("." + s) for s in rule.ptr_suffixes):
            return True
        if rule.ip_ranges and address in _ranges(rule.ip_ranges):
            return True
        return bool(rule.spf_include) and self._spf_passes(ip, address, rule.spf_include or "")

    def _spf_passes(self, ip: str, address: Address | None, domain: str) -> bool:
        key = (ip, domain)
        if key not in self._spf:
            if domain not in self._networks:
                found = spf_networks(self.resolver, domain)
                self._networks[domain] = None if found is None else NetworkSet(found)
            networks = self._networks[domain]
            if networks is not None and address not in networks:
                self._spf[key] = False  # only these networks can pass: no need to evaluate
            else:
                self._spf[key] = _check_host(self.resolver, ip, domain) == "pass"
        return self._spf[key]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_DYNAMIC = frozenset({"a", "mx", "ptr", "exists"})


def spf_networks(resolver: Any, domain: str) -> tuple[Network, ...] | None:
    """Every ip4/ip6 network in `domain`'s SPF tree, when nothing else in it can make an IP
    pass; None when something can (`a`, `mx`, `ptr`, `exists`, a macro, `+all`), or the tree
    could not be read whole (the full evaluation then decides every IP)."""
    tree = _walked(resolver, domain)
    if tree is None or tree.truncated:
        return None
    networks: list[Network] = []
    for _node, tn in tree.term_nodes():
        if _may_pass_beyond_networks(tn):
            return None
        if tn.term.network is not None and not tn.term.modifier:
            networks.append(tn.term.network)
    return tuple(networks)


def _walked(resolver: Any, domain: str) -> Any:
    """The SPF tree of `domain` (checks.dns._spf_tree), or None without exactly one record
    or when it could not be read."""
    from concurrent.futures import ThreadPoolExecutor

    from checks.dns._spf_grammar import is_spf_record, parse_record
    from checks.dns._spf_tree import walk
    from checks.dns.resolver import to_alabel

    try:
        answer = resolver.query(domain, "TXT")
        strings = answer.strings or [()] * len(answer.records)
        found = [(r, s) for r, s in zip(answer.records, strings, strict=True) if is_spf_record(r)]
        if len(found) != 1:
            return None
        text, parts = found[0]
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="reports-spf") as pool:
            return walk(to_alabel(domain), parse_record(text), tuple(parts), resolver, pool)
    except Exception:  # unaskable names, DNS trouble: evaluate each IP instead
        return None


def _may_pass_beyond_networks(tn: Any) -> bool:
    """True when this term could make an IP outside the tree's ip4/ip6 networks pass, or
    hides part of the tree."""
    term = tn.term
    if term.modifier and term.name != "redirect":
        return False  # exp= and unknown modifiers never decide the result
    if tn.dns_error is not None or term.error or term.name in _DYNAMIC or "%" in term.text:
        return True
    if term.name == "all":
        return bool(term.qualifier == "+")
    # an include or redirect whose target was not walked: its networks are unknown
    return term.name in ("include", "redirect") and tn.active and tn.child is None


def _check_host(resolver: Any, ip: str, domain: str) -> str:
    from checks.dns._spf_eval import Evaluator, SpfError

    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "none"
    try:
        return Evaluator(address, "", domain, resolver).check_host(domain).result
    except SpfError as exc:
        return exc.result
    except Exception:  # unaskable names and odd records: not authorised
        return "permerror"


Address = tuple[int, int]  # (IP version, the address as an integer)


def _address(ip: str) -> Address | None:
    """An IP as (version, integer), or None when it is no IP address. A week of reports
    holds tens of thousands of source IPs, each tested against every sender's ranges:
    integers compared are several times cheaper than `ipaddress` objects."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    try:
        packed = socket.inet_pton(family, ip)
    except (OSError, ValueError):
        return None
    return (6 if family == socket.AF_INET6 else 4), int.from_bytes(packed, "big")


class NetworkSet:
    """Networks as sorted, merged integer intervals per IP version: membership is one
    binary search however many networks there are (an SPF tree can hold hundreds)."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, networks: Iterable[Network]) -> None:
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        self._ends: dict[int, list[int]] = {4: [], 6: []}
        spans = sorted(
            (n.version, int(n.network_address), int(n.broadcast_address)) for n in networks
        )
        for version, first, last in spans:
            starts, ends = self._starts[version], self._ends[version]
            if ends and first <= ends[-1] + 1:
                ends[-1] = max(ends[-1], last)
            else:
                starts.append(first)
                ends.append(last)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, tuple):
            return False
        version, value = address
        starts = self._starts.get(version)
        if not starts:
            return False
        i = bisect.bisect_right(starts, value) - 1
        return i >= 0 and value <= self._ends[version][i]


@functools.lru_cache(maxsize=1024)
def _ranges(ranges: tuple[str, ...]) -> NetworkSet:
    """A sender's configured ranges, parsed once (config validation already checked them)."""
    return NetworkSet(ipaddress.ip_network(r, strict=False) for r in ranges)


def _organisation(ptr: str | None) -> str | None:
    if not ptr:
        return None
    try:
        return organizational_domain(ptr)
    except Exception:  # a junk PTR name groups by IP instead
        return None
