"""Which blocklists exist and what their answers mean: one `ListSpec` per list.

A DNS blocklist answers a query with A records in 127.0.0.0/8, but what each address means is
the list's own business, and some of them are *not* listings at all:

- Spamhaus answers 127.255.255.252 (typing error in the zone name), .254 (query through a
  public or open resolver, or a resolver without a Data Query Service key) and .255 (too many
  queries); DBL answers 127.0.1.255 to an IP address asked as a domain. These are refusals.
- URIBL and SURBL answer 127.0.0.1 when they refuse the resolver; RFC 5782 §5 forbids 127.0.0.1
  as a listing for every list, so it is an error everywhere unless a list says otherwise, and
  so is 127.255.255.0/24 (a list of your own that fronts Spamhaus answers those).

Reading a refusal as "listed" pages people for nothing (and the opposite hides real listings),
so every list names its error codes beside its listing codes, and `classify` in
`checks.blocklists.query` consults them before anything else.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from typing import Literal

__all__ = [
    "CATALOGUE",
    "DEFAULT_LISTS",
    "ListKind",
    "ListSpec",
    "code_table",
]

ListKind = Literal["ip", "domain"]
CodeTable = tuple[tuple[ipaddress.IPv4Network, str], ...]

# RFC 5782 §2.1: every listing is an address in 127.0.0.0/8; §5: 127.0.0.1 is never a listing.
LOOPBACK_NET = ipaddress.IPv4Network("127.0.0.0/8")
NEVER_LISTED = ipaddress.IPv4Address("127.0.0.1")
# Spamhaus's error codes; no list uses the range for listings, so every list reads it as an
# error unless its own entry lists a code in it.
REFUSAL_NET = ipaddress.IPv4Network("127.255.255.0/24")

SPAMHAUS_ERRORS: Mapping[str, str] = {
    "127.255.255.252": "typing error in the list's zone name",
    "127.255.255.254": (
        "query refused: it came through a public or open resolver (or one without a key); "
        "use your own recursive resolver or the list's Data Query Service key"
    ),
    "127.255.255.255": "excessive number of queries: use your own resolver or the list's key",
    "127.255.255.0/24": "query refused by the list (error code): use your own resolver or its key",
}


def code_table(codes: Mapping[str, str]) -> CodeTable:
    """`{"127.0.0.2": "SBL", "127.0.1.0/24": "..."}` → (network, meaning) pairs, most specific
    first, so an exact code wins over the range it sits in.

    Raises:
        ValueError: a key is not an IPv4 address or network.
    """
    parsed = [(ipaddress.IPv4Network(key, strict=False), text) for key, text in codes.items()]
    return tuple(sorted(parsed, key=lambda item: -item[0].prefixlen))


@dataclasses.dataclass(frozen=True, slots=True)
class ListSpec:
    """One blocklist.

    Attributes:
        name: the short name used in config, results and observation keys ("spamhaus-zen").
        zone: the DNS zone queried (RFC 5782 §2.1: `<reversed address>.<zone>`).
        kind: "ip" (DNSBL of addresses) or "domain" (RHSBL / URI list of names).
        listed: return code (or network of codes) → what the listing means.
        errors: return code (or network) → why the list refused to answer; never a listing.
        bitmask: the list combines meanings as bits of the last octet (SURBL multi).
        delist_url: where the owner of a listed address or domain asks for removal.
        ipv6: the list answers IPv6 queries (RFC 5782 §2.4 nibble form).
        rate_limit: queries per second this process sends to the list at most.
        burst: queries that may go out at once before the rate applies.
        key: the subscriber's query key, for lists that take it as the first label of the
            zone (Spamhaus DQS: `<key>.zen.dq.spamhaus.net`). A secret: never shown; stored
            queries carry `<key>` in its place (`mask`).
    """

    name: str
    zone: str
    kind: ListKind
    listed: CodeTable = ()
    errors: CodeTable = ()
    bitmask: bool = False
    delist_url: str = ""
    ipv6: bool = False
    rate_limit: float = 5.0
    burst: int = 10
    key: str = dataclasses.field(default="", repr=False, compare=False)

    @property
    def query_zone(self) -> str:
        """The zone queries go to: `zone`, behind the key when there is one."""
        return f"{self.key}.{self.zone}" if self.key else self.zone

    def mask(self, text: str) -> str:
        """`text` with the key replaced by `<key>`: what may be stored, logged or shown."""
        return text.replace(self.key, "<key>") if self.key else text

    def meaning(self, code: ipaddress.IPv4Address) -> str:
        """What listing code `code` means on this list (bit meanings joined for bitmasks)."""
        if self.bitmask:
            last = int(code) & 0xFF
            bits = [
                text
                for net, text in self.listed
                if net.num_addresses == 1 and (int(net.network_address) & 0xFF) & last
            ]
            if bits:
                return ", ".join(bits)
        for net, text in self.listed:
            if code in net:
                return text
        return f"listed (return code {code} is not in this list's catalogue entry)"

    def error_meaning(self, code: ipaddress.IPv4Address) -> str | None:
        """Why `code` is a refusal rather than a listing, or None when it is not one."""
        for net, text in self.errors:
            if code in net:
                return text
        if any(code in net for net, _ in self.listed):
            return None
        if code == NEVER_LISTED:
            return (
                "127.0.0.1 is never a listing (RFC 5782 §5): lists answer it when they refuse "
                "the resolver; use your own recursive resolver"
            )
        if code in REFUSAL_NET:
            return (
                "127.255.255.0/24 is the refusal range of the largest lists (public resolver, "
                "no key, over quota): use your own recursive resolver or the list's key"
            )
        return None


def _spec(name: str, zone: str, kind: ListKind, **fields: object) -> ListSpec:
    listed = code_table(fields.pop("listed", {}))  # type: ignore[arg-type]
    errors = code_table(fields.pop("errors", {}))  # type: ignore[arg-type]
    return ListSpec(name, zone, kind, listed=listed, errors=errors, **fields)  # type: ignore[arg-type]


CATALOGUE: Mapping[str, ListSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "spamhaus-zen",
            "zen.spamhaus.org",
            "ip",
            listed={
                "127.0.0.2": "SBL: Spamhaus Block List (spam source or operation)",
                "127.0.0.3": "SBL CSS: snowshoe spam source",
                "127.0.0.4": "XBL: exploited or infected host (CBL)",
                "127.0.0.5": "XBL: exploited or infected host",
                "127.0.0.6": "XBL: exploited or infected host",
                "127.0.0.7": "XBL: exploited or infected host",
                "127.0.0.9": "SBL DROP: hijacked or criminal network",
                "127.0.0.10": "PBL (ISP): end-user range that should not send mail directly",
                "127.0.0.11": "PBL (Spamhaus): end-user range that should not send directly",
                "127.0.0.30": "BCL: botnet controller",
            },
            errors=SPAMHAUS_ERRORS,
            delist_url="https://check.spamhaus.org/",
            ipv6=True,
        ),
        _spec(
            "spamhaus-dbl",
            "dbl.spamhaus.org",
            "domain",
            listed={
                "127.0.1.2": "spam domain",
                "127.0.1.4": "phishing domain",
                "127.0.1.5": "malware domain",
                "127.0.1.6": "botnet command and control domain",
                "127.0.1.102": "abused legitimate domain: spam",
                "127.0.1.103": "abused legitimate domain: spammed redirector",
                "127.0.1.104": "abused legitimate domain: phishing",
                "127.0.1.105": "abused legitimate domain: malware",
                "127.0.1.106": "abused legitimate domain: botnet command and control",
            },
            errors={
                **SPAMHAUS_ERRORS,
                "127.0.1.255": "an IP address was queried against a domain list",
            },
            delist_url="https://check.spamhaus.org/",
        ),
        _spec(
            "spamcop",
            "bl.spamcop.net",
            "ip",
            listed={"127.0.0.2": "reported as a spam source by SpamCop users"},
            delist_url="https://www.spamcop.net/bl.shtml",
        ),
        _spec(
            "barracuda",
            "b.barracudacentral.org",
            "ip",
            listed={"127.0.0.2": "listed by the Barracuda Reputation Block List"},
            delist_url="https://www.barracudacentral.org/rbl/removal-request",
        ),
        _spec(
            "surbl",
            "multi.surbl.org",
            "domain",
            listed={
                "127.0.0.8": "PH: phishing",
                "127.0.0.16": "MW: malware",
                "127.0.0.64": "ABUSE: spam and abuse",
                "127.0.0.128": "CR: cracked site",
            },
            errors={"127.0.0.1": "query refused (public resolver or over the free limit)"},
            bitmask=True,
            delist_url="https://www.surbl.org/surbl-analysis",
        ),
    )
}
"""The lists senderwatch knows. Users change any field or add lists under `[blocklists.lists]`."""

DEFAULT_LISTS: tuple[str, ...] = tuple(CATALOGUE)
"""The lists used when `[blocklists] use` is not set (plus every list the config defines)."""
