"""What to look up: the sending IPs and domains of one environment, each with where it came from.

Explicit addresses (`sending_ips` in the config) are always queried, even in private or test
ranges: RFC 5782's 127.0.0.2 test entry must work as a self-test. Addresses senderwatch
*discovered* (the `ip4`/`ip6` hosts of the SPF tree, the IP the canary's receiver saw) are
queried only when they are globally routable: a private, loopback, documentation or reserved
address tells a public list nothing and leaks the network's layout to it.

The SPF tree gives networks; single addresses and small ranges (up to `max_range_hosts`
addresses, 16 by default: a /28 or a /124) are expanded, larger ones are recorded as skipped
and never walked.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from checks.dns._spf_grammar import is_spf_record, parse_record
from checks.dns._spf_report import authorised_networks
from checks.dns._spf_tree import walk
from checks.dns.resolver import Resolver, to_alabel

__all__ = ["Target", "TargetSet", "spf_hosts"]


@dataclasses.dataclass
class Target:
    """One IP address or domain, and why it is looked up (or why not)."""

    value: str
    kind: str  # "ip" or "domain"
    sources: list[str] = dataclasses.field(default_factory=list)
    explicit: bool = False
    skipped: str = ""

    @property
    def queried(self) -> bool:
        return not self.skipped

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.value).version if self.kind == "ip" else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.value,
            "kind": self.kind,
            "sources": list(self.sources),
            "explicit": self.explicit,
            "queried": self.queried,
            "skipped": self.skipped or None,
        }


class TargetSet:
    """Targets in the order they were added, one entry per value (sources merged)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Target] = {}
        self.skipped_ranges: list[dict[str, Any]] = []

    def add_ip(self, value: str, source: str, *, explicit: bool) -> None:
        """Add an address; a discovered one outside global unicast space is kept but skipped."""
        address = ipaddress.ip_address(value)
        target = self._get(str(address), "ip")
        target.sources.append(source)
        if explicit:
            target.explicit, target.skipped = True, ""
        elif not target.explicit and not address.is_global:
            target.skipped = (
                "discovered address in a private, loopback, documentation or reserved range: "
                "not queried"
            )

    def add_domain(self, value: str, source: str, *, explicit: bool = True) -> None:
        """Add a domain; `explicit` for configured ones, False for those seen in mail."""
        target = self._get(to_alabel(value.rstrip(".")), "domain")
        target.sources.append(source)
        target.explicit = target.explicit or explicit

    def _get(self, value: str, kind: str) -> Target:
        key = (kind, value)
        if key not in self._items:
            self._items[key] = Target(value, kind)
        return self._items[key]

    def __iter__(self) -> Iterator[Target]:
        return iter(self._items.values())

    def of_kind(self, kind: str) -> list[Target]:
        return [t for t in self._items.values() if t.kind == kind]


def spf_hosts(
    resolver: Resolver, domain: str, max_range_hosts: int
) -> tuple[list[str], list[dict[str, Any]]]:
    """The addresses `domain`'s SPF tree authorises with a pass, and the ranges too large to
    expand.

    Raises:
        DnsUnavailable: a query of the tree could not be answered.
    """
    answer = resolver.query(domain, "TXT")
    found = [
        (record, strings)
        for record, strings in zip(
            answer.records, answer.strings or [()] * len(answer.records), strict=True
        )
        if is_spf_record(record)
    ]
    if len(found) != 1:
        return [], []
    text, strings = found[0]
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="blocklists-spf") as pool:
        tree = walk(to_alabel(domain), parse_record(text), tuple(strings), resolver, pool)
    for _, term in tree.term_nodes():
        if term.dns_error is not None:  # part of the tree unknown: its hosts would be missing
            raise term.dns_error
    hosts: list[str] = []
    too_large: list[dict[str, Any]] = []
    for network in authorised_networks(tree):
        if network.num_addresses > max_range_hosts:
            too_large.append(
                {"network": str(network), "source": f"spf:{domain}", "reason": "range too large"}
            )
            continue
        hosts += [str(address) for address in network]
    return list(dict.fromkeys(hosts)), too_large
