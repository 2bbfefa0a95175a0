"""CNAME chasing on top of `Resolver.query`, and the evidence form of an answer.

An authoritative server answers a CNAME that leaves its zones with the CNAME alone, and some
resolvers do the same when the chain is long; dnspython then reports "no records". DKIM keys
are delegated to ESPs by CNAME as a rule (SendGrid, SES, M365), and `_dmarc` sometimes is, so
reading such an answer as "no key" would be the very false alarm of stalwart #1253 and
go-msgauth #59. `chase` asks the chain's last target itself until it gets records or a
negative answer.

A chain that comes back to a name it already passed (a loop) or runs past `MAX_CNAME_HOPS`
CNAMEs never ends in records, at our resolver or at a receiver's: Unbound follows at most 8
CNAMEs (its MAX_RESTART_COUNT), BIND 11 (`max-query-restarts`, 16 before 9.18.29). Reporting
such a chain as "the target holds no record" sends the operator to the wrong place, so `chase`
raises `CnameChainBroken` and each check names the loop or the length.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.dns.resolver import Answer, Resolver, to_ulabel

__all__ = ["MAX_CNAME_HOPS", "CnameChainBroken", "answer_evidence", "chase"]

MAX_CNAME_HOPS = 8


class CnameChainBroken(Exception):
    """A CNAME chain that cannot end in records: it loops, or is longer than resolvers follow.

    Attributes:
        name: the name first asked.
        chain: the names passed, first the name asked (a loop repeats its first repeated name
            at the end).
        loop: True for a loop, False for a chain longer than `limit`.
        limit: the most CNAMEs followed (`MAX_CNAME_HOPS`).
    """

    def __init__(self, name: str, chain: tuple[str, ...], *, loop: bool) -> None:
        self.name = name
        self.chain = chain
        self.loop = loop
        self.limit = MAX_CNAME_HOPS
        super().__init__(self.describe())

    @property
    def hops(self) -> int:
        """CNAME records followed before giving up."""
        return len(self.chain) - 1

    @property
    def code_suffix(self) -> str:
        return "cname_loop" if self.loop else "cname_chain_too_long"

    def describe(self) -> str:
        """The sentence a finding starts with."""
        if self.loop:
            return (
                f"the CNAME chain from {to_ulabel(self.name)} loops back to "
                f"{to_ulabel(self.chain[-1])} after {self.hops} CNAMEs"
            )
        return (
            f"the CNAME chain from {to_ulabel(self.name)} is still going after {self.hops} "
            f"CNAMEs (at {to_ulabel(self.chain[-1])}); resolvers follow at most "
            f"{self.limit}"
        )


def chase(resolver: Resolver, name: str, rdtype: str) -> Answer:
    """Ask `rdtype` at `name`, following CNAMEs the answering server did not follow.

    Returns:
        The final answer, with `name` the name first asked and `cname_chain` the whole chain
        (empty when there was no CNAME).

    Raises:
        DnsUnavailable: any question of the chain could not be answered.
        UnaskableName: `name` cannot be carried by a query.
        CnameChainBroken: the chain loops, or has more than `MAX_CNAME_HOPS` CNAMEs and no end
            in sight; a chain a server resolved itself, records included, is returned as is.
    """
    answer = resolver.query(name, rdtype)
    chain = list(answer.cname_chain)
    asked_again = False
    while chain and not answer.records and not answer.nxdomain:
        if len(set(chain)) < len(chain):
            raise CnameChainBroken(name, tuple(chain), loop=True)
        if len(chain) - 1 > MAX_CNAME_HOPS:
            raise CnameChainBroken(name, tuple(chain), loop=False)
        answer = resolver.query(chain[-1], rdtype)
        asked_again = True
        if not answer.cname_chain:
            break
        chain.extend(answer.cname_chain[1:])
    if not asked_again:
        return answer
    return dataclasses.replace(answer, name=name, cname_chain=tuple(chain))


def answer_evidence(answer: Answer) -> dict[str, Any]:
    """The raw material of an answer for the debug view (never compared)."""
    evidence: dict[str, Any] = {
        "name": answer.name,
        "type": answer.rdtype,
        "records": list(answer.records),
    }
    if answer.strings and any(len(parts) > 1 for parts in answer.strings):
        evidence["strings"] = [list(parts) for parts in answer.strings]
    if answer.cname_chain:
        evidence["cname_chain"] = list(answer.cname_chain)
    if answer.nxdomain:
        evidence["nxdomain"] = True
    return evidence
