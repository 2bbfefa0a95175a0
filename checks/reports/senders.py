"""Who a source is: a configured sender, our own SPF, or its reverse-DNS organisation.

A source is *authorised* when a configured sender claims it (`[[domains.senders]]`: its SPF
include authorises the IP, the IP is in its ranges, or its reverse name ends with one of its
suffixes) or when the policy domain's own SPF record passes for it. Everything else that
sends as the domain is unauthorised: a forgotten service, a forwarder, or a spoofer.

SPF is evaluated with our own `check_host()` (`checks.dns._spf_eval`) through the shared
resolver, so the answer is what a receiver would decide for that IP today; results are cached
per (IP, SPF domain) for the life of this object.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from typing import Any

from checks.psl import organizational_domain

__all__ = ["SenderRule", "Source", "SourceClassifier"]


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

    def classify(self, ip: str, ptr: str | None) -> Source:
        for rule in self.senders:
            if self._claims(rule, ip, ptr):
                return Source(rule.name, True, "sender")
        group = _organisation(ptr) or ip
        if self._spf_passes(ip, self.domain):
            return Source(group, True, "spf")
        return Source(group, False, "none")

    def _claims(self, rule: SenderRule, ip: str, ptr: str | None) -> bool:
        if ptr and any(ptr == s or ptr.endswith("." + s) for s in rule.ptr_suffixes):
            return True
        if rule.ip_ranges and _in_ranges(ip, rule.ip_ranges):
            return True
        return bool(rule.spf_include) and self._spf_passes(ip, rule.spf_include or "")

    def _spf_passes(self, ip: str, domain: str) -> bool:
        key = (ip, domain)
        if key not in self._spf:
            self._spf[key] = _check_host(self.resolver, ip, domain) == "pass"
        return self._spf[key]


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


def _in_ranges(ip: str, ranges: Sequence[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(r, strict=False) for r in ranges)


def _organisation(ptr: str | None) -> str | None:
    if not ptr:
        return None
    try:
        return organizational_domain(ptr)
    except Exception:  # a junk PTR name groups by IP instead
        return None
