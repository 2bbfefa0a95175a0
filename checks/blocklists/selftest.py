"""Does each list work from here? RFC 5782 §5's test entries, asked through our resolver.

Every list must list its test entry (127.0.0.2, `::FFFF:7F00:2` for IPv6, `TEST` for domain
lists) and must not list 127.0.0.1 (`INVALID` for domain lists). So:

    works            the test entry is listed and the negative entry is not
    refused          the list answered an error code (public resolver, no key, over quota)
    unavailable      the list did not answer (timeout, SERVFAIL, REFUSED by the resolver)
    not_listing      the test entry is not listed: wrong zone, or the resolver hides answers
    lists_everything the negative entry is listed too: a resolver rewriting NXDOMAIN, or a
                     wildcard in the zone; every lookup through it would be a false listing

The self-test bypasses the answer cache (it is about now) and asks a handful of questions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.blocklists.budget import QueryBudget
from checks.blocklists.catalogue import ListSpec
from checks.blocklists.lookup import Lookup, ask
from checks.dns.resolver import Resolver

__all__ = ["SelfTest", "self_test"]

_NEGATIVE = {"ip": "127.0.0.1", "domain": "invalid"}


@dataclasses.dataclass(frozen=True, slots=True)
class SelfTest:
    """One list's self-test: its verdict, a sentence for a person, and each lookup."""

    spec: ListSpec
    verdict: str
    message: str
    lookups: tuple[Lookup, ...]

    @property
    def works(self) -> bool:
        return self.verdict == "works"

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.spec.name,
            "zone": self.spec.zone,
            "kind": self.spec.kind,
            "verdict": self.verdict,
            "message": self.message,
            "lookups": [lookup.to_dict() for lookup in self.lookups],
        }


def self_test(resolver: Resolver, spec: ListSpec) -> SelfTest:
    """Ask `spec` its test entries (and, for IPv6 lists, the IPv6 one too)."""
    positives = ["test"] if spec.kind == "domain" else ["127.0.0.2"]
    if spec.ipv6:
        positives.append("::ffff:7f00:2")
    budget = QueryBudget()  # fresh: never answered from a cache
    asked = [ask(resolver, budget, spec, target) for target in positives]
    asked.append(ask(resolver, budget, spec, _NEGATIVE[spec.kind]))
    return _judge(spec, tuple(asked))


def _judge(spec: ListSpec, lookups: tuple[Lookup, ...]) -> SelfTest:
    *positives, negative = lookups
    for lookup in lookups:
        if lookup.cause:
            text = f"did not answer for {lookup.target} ({lookup.cause})"
            return SelfTest(spec, "unavailable", text, lookups)
        if lookup.verdict.status == "error":
            text = (
                f"refused the query for {lookup.target} ({', '.join(lookup.verdict.codes)}: "
                f"{'; '.join(lookup.verdict.meanings)}): use your own recursive resolver or "
                "the list's key"
            )
            return SelfTest(spec, "refused", text, lookups)
    if negative.verdict.status != "clean":
        text = (
            f"answered {', '.join(negative.verdict.codes)} for {negative.target}, which no "
            "list may list: the resolver rewrites NXDOMAIN or the zone has a wildcard"
        )
        return SelfTest(spec, "lists_everything", text, lookups)
    missing = [lookup.target for lookup in positives if not lookup.verdict.listed]
    if missing:
        text = (
            f"does not list its test entry {', '.join(missing)} (RFC 5782 §5): check the zone "
            "name, or whether the resolver hides the list's answers"
        )
        return SelfTest(spec, "not_listing", text, lookups)
    return SelfTest(spec, "works", "lists its test entry and not the negative one", lookups)
