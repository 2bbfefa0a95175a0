"""A forwarding DNS server on loopback that never answers for some zones: one dead list.

A resolver has one set of nameservers for every list, so "one blocklist times out, the others
answer" needs a server in between: `SilentZonesDns` forwards every query to a real upstream
(the test Knot) and stays silent for names under the zones it was told to drop, as a list
whose servers are down looks from the resolver.

Usage:
    with SilentZonesDns(knot.address, drop=("dead.test",)) as server:
        resolver = Resolver([server.address], timeout=0.3, retries=0)
"""

from __future__ import annotations

import dns.exception
import dns.message
import dns.name
import dns.query

from tests.support.bad_dns import _LoopbackDns

__all__ = ["SilentZonesDns"]


class SilentZonesDns(_LoopbackDns):
    """Forwards to `upstream` ("host:port"); names under a zone of `drop` get no answer."""

    def __init__(self, upstream: str, drop: tuple[str, ...]) -> None:
        super().__init__()
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.drop = tuple(dns.name.from_text(zone) for zone in drop)
        self.dropped = 0

    def reply(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        name = query.question[0].name if query.question else dns.name.root
        if any(name.is_subdomain(zone) for zone in self.drop):
            self.dropped += 1
            return None
        try:
            response = dns.query.udp(query, self.upstream[0], port=self.upstream[1], timeout=2)
        except (dns.exception.DNSException, OSError):
            return None
        return response.to_wire()
