"""RFC 5782 query names and what one list's answer means.

Query forms (RFC 5782 §2.1, §2.4, §3):
    IPv4 192.0.2.10 on zen.example   → 10.2.0.192.zen.example
    IPv6 2001:db8::1 on zen.example  → the 32 nibbles reversed, then the zone
    domain example.com on dbl.example → example.com.dbl.example

Verdicts: `listed` (an answer the list defines as a listing), `clean` (NXDOMAIN or no A record),
`error` (the list refused: its own error codes, or 127.0.0.1, which RFC 5782 §5 never uses as a
listing) and `unexpected` (an address outside 127.0.0.0/8: a resolver rewriting NXDOMAIN, so
nothing can be said). Only `listed` is ever reported as a listing.
"""

from __future__ import annotations

import dataclasses
import ipaddress

from checks.blocklists.catalogue import LOOPBACK_NET, ListSpec

__all__ = ["Verdict", "classify", "query_name", "self_test_entry"]

# RFC 5782 §5: the entries every list must carry (listed) so a client can test it.
IPV4_TEST = "127.0.0.2"
IPV6_TEST = "::ffff:7f00:2"
DOMAIN_TEST = "test"


def query_name(target: str, spec: ListSpec) -> str:
    """The name to ask A (and TXT) at for `target` on the list `spec` (no trailing dot).

    Raises:
        ValueError: an IP list asked about a name that is not an address.
    """
    if spec.kind == "domain":
        return f"{target.rstrip('.').lower()}.{spec.query_zone}"
    address = ipaddress.ip_address(target)
    if address.version == 4:
        labels = str(address).split(".")
    else:  # every nibble, IPv4-mapped too (::ffff:7f00:2 is the §5 test entry of IPv6 lists)
        labels = list(address.exploded.replace(":", ""))
    return ".".join([*reversed(labels), spec.query_zone])


def self_test_entry(spec: ListSpec, version: int = 4) -> str:
    """The RFC 5782 §5 test entry a working list must list."""
    if spec.kind == "domain":
        return DOMAIN_TEST
    return IPV4_TEST if version == 4 else IPV6_TEST


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """What one list said about one target.

    Attributes:
        status: "listed", "clean", "error" or "unexpected".
        codes: the A records the list answered, in text form.
        meanings: what each listing code means (listed), or why the list refused (error).
        reason: the list's TXT record (the reason it gives), when it gave one.
    """

    status: str
    codes: tuple[str, ...] = ()
    meanings: tuple[str, ...] = ()
    reason: str = ""

    @property
    def listed(self) -> bool:
        return self.status == "listed"


def classify(spec: ListSpec, records: tuple[str, ...]) -> Verdict:
    """The verdict for the A records `records` the list answered (empty: not listed).

    Error codes win over listing codes: one refusal among the answers means the list did not
    really look, so no listing in the same answer can be trusted either.
    """
    if not records:
        return Verdict("clean")
    codes = tuple(sorted(records, key=_numeric))
    addresses = []
    for text in codes:
        try:
            addresses.append(ipaddress.IPv4Address(text))
        except ValueError:
            return Verdict("unexpected", codes, (f"{text} is not an IPv4 address",))
    errors = [why for a in addresses if (why := spec.error_meaning(a)) is not None]
    if errors:
        return Verdict("error", codes, tuple(dict.fromkeys(errors)))
    outside = [str(a) for a in addresses if a not in LOOPBACK_NET]
    if outside:
        why = (
            f"{', '.join(outside)} is outside 127.0.0.0/8: the resolver rewrites unknown "
            "names (NXDOMAIN redirection), so this list cannot be read through it"
        )
        return Verdict("unexpected", codes, (why,))
    return Verdict("listed", codes, tuple(dict.fromkeys(spec.meaning(a) for a in addresses)))


def _numeric(text: str) -> tuple[int, str]:
    """Sort key: addresses in numeric order (127.0.0.4 before 127.0.0.10), junk last."""
    try:
        return int(ipaddress.IPv4Address(text)), ""
    except ValueError:
        return 1 << 32, text
