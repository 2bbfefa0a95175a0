"""CNAME chasing on top of `Resolver.query`, and the evidence form of an answer.

An authoritative server answers a CNAME that leaves its zones with the CNAME alone, and some
resolvers do the same when the chain is long; dnspython then reports "no records". DKIM keys
are delegated to ESPs by CNAME as a rule (SendGrid, SES, M365), and `_dmarc` sometimes is, so
reading such an answer as "no key" would be the very false alarm of stalwart #1253 and
go-msgauth #59. `chase` asks the chain's last target itself until it gets records, a
negative answer, or a loop.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.dns.resolver import Answer, Resolver

__all__ = ["MAX_CNAME_HOPS", "answer_evidence", "chase"]

MAX_CNAME_HOPS = 8


def chase(resolver: Resolver, name: str, rdtype: str) -> Answer:
    """Ask `rdtype` at `name`, following CNAMEs the answering server did not follow.

    Returns:
        The final answer, with `name` the name first asked and `cname_chain` the whole chain
        (empty when there was no CNAME). A loop or an over-long chain ends with no records.

    Raises:
        DnsUnavailable: any question of the chain could not be answered.
    """
    answer = resolver.query(name, rdtype)
    chain = list(answer.cname_chain)
    hops = 0
    while chain and not answer.records and not answer.nxdomain and hops < MAX_CNAME_HOPS:
        target = chain[-1]
        if chain.count(target) > 1:
            break
        answer = resolver.query(target, rdtype)
        hops += 1
        if not answer.cname_chain:
            break
        chain.extend(answer.cname_chain[1:])
    if hops == 0:
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
