"""Where a domain's DMARC policy comes from, as RFC 7489 and as RFC 9989 receivers see it.

RFC 7489 §6.6.3: ask `_dmarc.<domain>`; if no DMARC record is there, ask `_dmarc.<org>`,
where `<org>` is the organizational domain from the Public Suffix List (§3.2). Several DMARC
records at one name mean no policy at all.

RFC 9989 §4.10: walk up the DNS tree instead of using the PSL. From the domain, drop one label
at a time (a name of more than 8 labels jumps to its last 7 first, so at most 8 queries are
made), up to the TLD, stopping at a record with `psd=n` (an organizational boundary) or
`psd=y` (a public suffix, whose child is the organizational domain). The policy comes from the
domain's own record, else from the organizational domain's, else from the PSD's.

A monitor reports both views: receivers of both generations are deployed, and they disagree
when a subdomain publishes `psd=n`, when the PSL's private section draws the line elsewhere, or
when a public suffix operator publishes `psd=y`. The per-run resolver cache makes the walk cheap:
names above the organizational domain (`_dmarc.com`) are asked once per run.

A `_dmarc` name over 255 octets cannot hold a record: it counts as an empty answer, so a long
subdomain still falls back to its organizational domain (§6.6.3) and the walk passes over it.
A CNAME loop or over-long chain is different: receivers' resolvers give up (SERVFAIL), which
is a temporary error, not an empty answer, so RFC 7489 discovery stops there (`blocked`).
"""

from __future__ import annotations

import dataclasses

from checks import psl
from checks.dns import _checkdmarc
from checks.dns._lookup import CnameChainBroken, chase
from checks.dns.resolver import Answer, Resolver, UnaskableName

__all__ = ["Discovery", "Lookup", "discover", "organizational_domain"]

MAX_WALK_LABELS = 8


def organizational_domain(domain: str) -> str:
    """RFC 7489 §3.2 organizational domain of an A-label domain (the domain itself if none)."""
    return psl.organizational_domain(domain)


@dataclasses.dataclass(frozen=True, slots=True)
class Lookup:
    """What `_dmarc.<domain>` held; `problem` when the name cannot exist or its CNAME chain
    cannot be followed (then `answer` holds no records)."""

    domain: str
    answer: Answer
    dmarc: tuple[str, ...]
    problem: UnaskableName | CnameChainBroken | None = None

    @property
    def broken(self) -> bool:
        """A CNAME loop or over-long chain: receivers cannot read what is there."""
        return isinstance(self.problem, CnameChainBroken)

    @property
    def name(self) -> str:
        return f"_dmarc.{self.domain}"

    @property
    def record(self) -> str | None:
        """The DMARC record, when there is exactly one (several mean none, RFC 7489 §6.6.3)."""
        return self.dmarc[0] if len(self.dmarc) == 1 else None

    @property
    def unrelated(self) -> tuple[str, ...]:
        return tuple(r for r in self.answer.records if r not in self.dmarc)


@dataclasses.dataclass(frozen=True, slots=True)
class Discovery:
    """Both views of policy discovery for one domain.

    `legacy` is the lookup whose record (or records) RFC 7489 receivers use, `source` says
    whether it is the domain's own ("domain") or the organizational domain's
    ("organizational"); both are None when no DMARC record was found. `blocked` is the lookup
    whose broken CNAME chain stopped RFC 7489 discovery, if any. `bis` is the RFC 9989 choice.
    `lookups` lists every name asked, in order, for the evidence.
    """

    domain: str
    org_domain: str
    legacy: Lookup | None
    source: str | None
    bis: Lookup | None
    lookups: tuple[Lookup, ...]
    blocked: Lookup | None = None


class _Asker:
    """Asks `_dmarc` names once each and remembers the order (for the evidence)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.done: dict[str, Lookup] = {}

    def __call__(self, domain: str) -> Lookup:
        if domain not in self.done:
            self.done[domain] = self._ask(domain)
        return self.done[domain]

    def _ask(self, domain: str) -> Lookup:
        name = f"_dmarc.{domain}"
        try:
            answer = chase(self.resolver, name, "TXT")
        except UnaskableName as exc:
            return Lookup(domain, Answer(name, "TXT", ()), (), exc)
        except CnameChainBroken as exc:
            return Lookup(domain, Answer(name, "TXT", (), cname_chain=exc.chain), (), exc)
        dmarc = tuple(r for r in answer.records if _checkdmarc.is_dmarc_record(r))
        return Lookup(domain, answer, dmarc)


def _psd(record: str) -> str:
    """The psd flag of a raw record, read leniently (the walk must not fail on syntax)."""
    for part in record.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "psd":
            return value.strip().lower()
    return "u"


def _walk_targets(domain: str) -> list[str]:
    """The names RFC 9989 §4.10 asks after the domain itself, nearest first."""
    labels = domain.split(".")
    count = len(labels)
    start = 1 if count <= MAX_WALK_LABELS else count - (MAX_WALK_LABELS - 1)
    return [".".join(labels[i:]) for i in range(start, count)]


def _bis(domain: str, own: Lookup, ask: _Asker) -> Lookup | None:
    """The record RFC 9989 receivers apply to `domain`."""
    if own.record is not None:
        return own
    found: list[tuple[int, Lookup]] = []
    labels = domain.count(".") + 1
    for target in _walk_targets(domain):
        lookup = ask(target)
        if lookup.record is None:
            continue
        found.append((labels - (target.count(".") + 1), lookup))
        if _psd(lookup.record) in ("y", "n"):
            break
    if not found:
        return None
    dropped, last = found[-1]
    if last.record is not None and _psd(last.record) == "y" and len(found) > 1:
        below, previous = found[-2]
        if below == dropped - 1:
            return previous
    return last


def discover(resolver: Resolver, domain: str) -> Discovery:
    """Run both discovery procedures for an A-label domain.

    Raises:
        DnsUnavailable: a `_dmarc` name could not be asked; the caller reports ERROR.
    """
    ask = _Asker(resolver)
    org = organizational_domain(domain)
    own = ask(domain)
    legacy: Lookup | None = None
    source: str | None = None
    blocked: Lookup | None = None
    if own.dmarc:
        legacy, source = own, "domain"
    elif own.broken:
        blocked = own
    elif org != domain and ask(org).dmarc:
        legacy, source = ask(org), "organizational"
    elif org != domain and ask(org).broken:
        blocked = ask(org)
    bis = None if own.broken else _bis(domain, own, ask)
    return Discovery(domain, org, legacy, source, bis, tuple(ask.done.values()), blocked)
