"""One question to one list, through the process-wide budget: cached answer, or rate-limited
query plus (for a listing) the list's TXT reason."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.blocklists.budget import QueryBudget
from checks.blocklists.catalogue import ListSpec
from checks.blocklists.query import Verdict, classify, query_name
from checks.dns.resolver import DnsUnavailable, Resolver, UnaskableName

__all__ = ["Lookup", "ask"]


@dataclasses.dataclass(frozen=True, slots=True)
class Lookup:
    """The verdict of one list about one target, and how it was obtained."""

    spec: ListSpec
    target: str
    query: str
    verdict: Verdict
    cached: bool = False
    cause: str = ""  # for a list that could not be asked: timeout, servfail, refused, network

    def to_dict(self) -> dict[str, Any]:
        """One entry of `results` in the stored shape (docs/blocklists.md)."""
        return {
            "list": self.spec.name,
            "zone": self.spec.zone,
            "kind": self.spec.kind,
            "target": self.target,
            "query": self.spec.mask(self.query),
            "status": self.verdict.status,
            "codes": list(self.verdict.codes),
            "meanings": list(self.verdict.meanings),
            "reason": self.verdict.reason,
            "delist_url": self.spec.delist_url if self.verdict.listed else "",
            "cached": self.cached,
            "cause": self.cause,
        }


def ask(resolver: Resolver, budget: QueryBudget, spec: ListSpec, target: str) -> Lookup:
    """What `spec` says about `target` (an address for IP lists, a name for domain lists).

    Never raises for DNS trouble: a list that does not answer is a `Lookup` with status
    "error" and its cause, so one dead list never hides the verdicts of the others.
    """
    name = query_name(target, spec)
    key = (spec.zone, name)
    cached = budget.cache.get(key)
    if cached is not None:
        return Lookup(spec, target, name, cached, cached=True)
    budget.bucket(spec.name, spec.rate_limit, spec.burst).take()
    try:
        answer = resolver.query(name, "A")
        verdict = classify(spec, answer.records)
        ttl = answer.ttl
        if verdict.listed:
            budget.bucket(spec.name, spec.rate_limit, spec.burst).take()
            reason = resolver.query(name, "TXT")
            verdict = dataclasses.replace(verdict, reason=" ".join(reason.records))
    except DnsUnavailable as exc:
        error = Verdict("error", meanings=(spec.mask(f"the list did not answer ({exc.cause})"),))
        return Lookup(spec, target, name, error, cause=exc.cause)
    except UnaskableName as exc:
        error = Verdict("error", meanings=(spec.mask(f"no query can carry the name: {exc}"),))
        return Lookup(spec, target, name, error, cause="invalid_name")
    if verdict.status in ("listed", "clean"):
        budget.cache.put(key, verdict, ttl)
    return Lookup(spec, target, name, verdict)
