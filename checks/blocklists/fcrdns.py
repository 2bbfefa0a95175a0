"""Forward-confirmed reverse DNS of a sending IP: PTR → name → the same IP again.

Gmail and Yahoo refuse or junk mail from an IP whose PTR is missing or whose PTR name does not
resolve back to it; many receivers also score names that look assigned to an access line
(`192-0-2-10.dynamic.isp.example`), which is why a confirmed but generic name is reported too.

Verdicts (the `verdict` of `FcrdnsResult`):
    pass      a PTR name resolves back to the IP and does not look generic
    generic   confirmed, but the name looks like an access or cloud default name
    mismatch  PTR names exist, none resolves back to the IP
    missing   no PTR record at all
    error     the question could not be answered (timeout, SERVFAIL): nothing measured
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Any

import dns.reversename

from checks.dns.resolver import DnsUnavailable, Resolver, UnaskableName

__all__ = ["FcrdnsResult", "check_fcrdns", "looks_generic"]

MAX_PTR_NAMES = 10  # as RFC 7208 §5.5 bounds the names an SPF `ptr` looks at

_GENERIC_WORDS = re.compile(
    r"(?:^|[.-])(?:dynamic|dyn|dhcp|pool|dsl|adsl|vdsl|cable|ppp|pppoe|dialup|dial|client|"
    r"broadband|customer|cust|unassigned|residential)"
    r"(?:[.-]|\d|$)"
)


@dataclasses.dataclass(frozen=True, slots=True)
class FcrdnsResult:
    """What the reverse and forward lookups of one IP found."""

    ip: str
    verdict: str
    ptr: tuple[str, ...] = ()
    confirmed: str | None = None
    forward: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stored shape (docs/blocklists.md, "Stored result shape")."""
        return {
            "ip": self.ip,
            "verdict": self.verdict,
            "ptr": list(self.ptr),
            "confirmed_name": self.confirmed,
            "forward": dict(self.forward),
            "error": self.error,
        }


def looks_generic(name: str, ip: str) -> bool:
    """True when `name` looks like a default name of an access line or cloud host: it spells
    the address (dashes, dots, reversed or hex) or carries words such as dynamic, dsl, pool."""
    lowered = name.lower().rstrip(".")
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        octets = str(address).split(".")
        spellings = {
            "-".join(octets),
            ".".join(octets),
            "-".join(reversed(octets)),
            ".".join(reversed(octets)),
            "".join(f"{int(o):03d}" for o in octets),
            f"{int(address):08x}",
        }
        if any(s in lowered for s in spellings):
            return True
    return bool(_GENERIC_WORDS.search(lowered.split(".", 1)[0]))


def check_fcrdns(resolver: Resolver, ip: str) -> FcrdnsResult:
    """Ask PTR for `ip`, then A/AAAA (its own family) for each name, up to `MAX_PTR_NAMES`."""
    address = ipaddress.ip_address(ip)
    reverse = dns.reversename.from_address(str(address)).to_text(omit_final_dot=True)
    rdtype = "A" if address.version == 4 else "AAAA"
    try:
        answer = resolver.query(reverse, "PTR")
        names = tuple(r.rstrip(".").lower() for r in answer.records)[:MAX_PTR_NAMES]
        if not names:
            return FcrdnsResult(str(address), "missing")
        forward: dict[str, list[str]] = {}
        confirmed = None
        for name in names:
            try:
                found = resolver.query(name, rdtype).records
            except UnaskableName:
                found = ()
            forward[name] = list(found)
            if confirmed is None and any(ipaddress.ip_address(a) == address for a in found):
                confirmed = name
    except DnsUnavailable as exc:
        return FcrdnsResult(str(address), "error", error=str(exc))
    if confirmed is None:
        return FcrdnsResult(str(address), "mismatch", names, None, forward)
    verdict = "generic" if looks_generic(confirmed, str(address)) else "pass"
    return FcrdnsResult(str(address), verdict, names, confirmed, forward)
