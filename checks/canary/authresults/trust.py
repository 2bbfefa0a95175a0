"""Which Authentication-Results headers to believe (RFC 8601 §5, §7.1, §7.3, §7.10).

Anyone can write `Authentication-Results: mx.example.net; dkim=pass`; the sender can, and so
can every relay on the way. A header is believed only when all of these hold:

1. It is a top-level field of the message (§7.10): the caller passes top-level fields only;
   headers of an attached message/rfc822 part never reach this module.
2. Its authserv-id is in the configured trusted list (§7.1), compared case-insensitively.
   An empty list trusts nothing.
3. Receiver "microsoft365" (which writes no authserv-id): the topmost id-less header is
   believed only when it agrees with Microsoft's own copies: the ARC-Authentication-Results
   of `mx.microsoft.com` (the highest instance, normally `i=1; mx.microsoft.com 1;`) and/or
   the topmost X-MS-Exchange-Authentication-Results. Each copy present must agree on every
   method of spf/dkim/dmarc both report, and at least one copy must share a method.
   Lower id-less headers are never believed.

4. Position (`position`): receivers prepend, so the receiver's border Received hop
   separates what it wrote from what arrived with the message. A receiver that writes above
   its hop (Postfix with milters, Microsoft 365) is judged by the headers above it alone; a
   receiver that writes below it (Gmail) by the one header directly beneath it. A header
   with the trusted id anywhere else arrived with the message and never counts. When no hop
   names the receiver, position proves little: every readable header with the id is merged,
   and one that cannot be read counts only above the topmost readable one.
5. A header the receiver wrote that cannot be read (over `parse.MAX_HEADER_LENGTH`, a result
   dropped for its syntax, an unreadable authserv-id where the receiver's header stands)
   makes the whole decision unreadable: `TrustDecision.unreadable` names it and no result is
   believed. Falling through to the next header would let whoever wrote that one decide.

Merging (§7.3: receivers prepend, so the receiver's own header is above anything that
arrived with the message; a forged header claiming the trusted id sits lower):
- Believed headers are read topmost first and merged, so receivers that write one header per
  method (OpenDKIM + OpenDMARC, Proton, iCloud) are read whole.
- For spf, dmarc, arc and every other method, the topmost believed header that reports the
  method decides; the same method in a lower header is shadowed, never merged.
- For dkim, several results are normal (one per signature), so they are all kept, except a
  lower result naming a signature an upper one already reported: shadowed.
So a lower header of the receiver can add what a higher one did not say, but can never change
(upgrade) a result a higher one did say. Every ignored or shadowed header is reported with its
reason, and every reason is what actually decided.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Literal

from checks.canary.authresults.model import AuthResults, ResInfo
from checks.canary.authresults.parse import (
    parse_arc_authentication_results,
    parse_authentication_results,
)
from checks.canary.authresults.position import place
from checks.canary.authresults.provider_results import normalise
from checks.canary.authresults.received import ReceivingHop, find_receiving_hop
from checks.canary.authresults.signatures import dkim_identity, same_signature

__all__ = [
    "MICROSOFT_AUTHSERV_ID",
    "MICROSOFT_DOMAINS",
    "HeaderRef",
    "IgnoredHeader",
    "Receiver",
    "SourcedResult",
    "TrustDecision",
    "TrustPolicy",
    "TrustedHeader",
    "decide_trust",
]

Receiver = Literal["generic", "microsoft365"]
MICROSOFT_AUTHSERV_ID = "mx.microsoft.com"
MICROSOFT_DOMAINS = ("outlook.com", "microsoft.com", "office365.com")
_AR = "authentication-results"
_AAR = "arc-authentication-results"
_XMS = "x-ms-exchange-authentication-results"
_COMPARED = ("spf", "dkim", "dmarc")


@dataclasses.dataclass(frozen=True, slots=True)
class TrustPolicy:
    """Whose Authentication-Results to believe.

    Attributes:
        trusted_authserv_ids: authserv-ids of the receiving inbox (`mx.google.com`).
        receiver: "generic" (authserv-id rule only) or "microsoft365" (adds the id-less rule).
    """

    trusted_authserv_ids: tuple[str, ...] = ()
    receiver: Receiver = "generic"

    @property
    def receiver_names(self) -> tuple[str, ...]:
        """Host names / domains that are the receiver (for finding its Received hop)."""
        extra = MICROSOFT_DOMAINS if self.receiver == "microsoft365" else ()
        return tuple(i.lower() for i in self.trusted_authserv_ids) + extra


@dataclasses.dataclass(frozen=True, slots=True)
class HeaderRef:
    """One authentication header of the message: where it stands, what it says."""

    position: int  # index among all top-level header fields, 0 = topmost
    name: str
    value: str
    parsed: AuthResults

    def to_dict(self) -> dict[str, object]:
        return {
            "position": self.position,
            "name": self.name,
            "value": self.value,
            "authserv_id": self.parsed.authserv_id,
            "problems": list(self.parsed.problems),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class TrustedHeader:
    header: HeaderRef
    basis: str  # why it is believed


@dataclasses.dataclass(frozen=True, slots=True)
class IgnoredHeader:
    header: HeaderRef
    reason: str  # "untrusted authserv-id evil.example.org", ...


@dataclasses.dataclass(frozen=True, slots=True)
class SourcedResult:
    """One result with the header it came from."""

    result: ResInfo
    header: HeaderRef


@dataclasses.dataclass(frozen=True, slots=True)
class TrustDecision:
    """The outcome of the trust rules for one message.

    Attributes:
        trusted: believed Authentication-Results headers, topmost first.
        ignored: every other Authentication-Results header, with the reason.
        results: believed results per method (lower case), topmost first, after merging.
        shadowed: lower results dropped by the merge rule, with the reason.
        arc: ARC-Authentication-Results headers (reported, never deciding).
        corroborators: Microsoft's copies examined by the microsoft365 rule.
        receiving_hop: the receiver's border Received hop (see `received`), if found.
        unreadable: headers that stand where the receiver's own do but could not be read
            (`header.parsed.unreadable` says why). When any is present `results` is empty:
            what the receiver said is unknown, so nothing else may decide in its place.
    """

    trusted: tuple[TrustedHeader, ...]
    ignored: tuple[IgnoredHeader, ...]
    results: Mapping[str, tuple[SourcedResult, ...]]
    shadowed: tuple[tuple[SourcedResult, str], ...] = ()
    arc: tuple[HeaderRef, ...] = ()
    corroborators: tuple[HeaderRef, ...] = ()
    receiving_hop: ReceivingHop | None = None
    unreadable: tuple[TrustedHeader, ...] = ()

    def first(self, method: str) -> SourcedResult | None:
        found = self.results.get(method)
        return found[0] if found else None


def decide_trust(fields: Sequence[tuple[str, str]], policy: TrustPolicy) -> TrustDecision:
    """Apply the trust rules to the message's top-level header fields (in message order).

    Args:
        fields: (name, value) of every top-level header field, topmost first. Callers must
            not pass fields of attached messages (RFC 8601 §7.10).
        policy: the trusted authserv-ids and receiver kind.
    """
    ars: list[HeaderRef] = []
    arcs: list[HeaderRef] = []
    xms: list[HeaderRef] = []
    received: list[tuple[int, str]] = []
    for position, (name, value) in enumerate(fields):
        lname = name.lower()
        if lname == "received":
            received.append((position, value))
        elif lname == _AR:
            ars.append(HeaderRef(position, name, value, parse_authentication_results(value)))
        elif lname == _AAR:
            arcs.append(HeaderRef(position, name, value, parse_arc_authentication_results(value)))
        elif lname == _XMS:
            xms.append(HeaderRef(position, name, value, parse_authentication_results(value)))
    hop = find_receiving_hop([v for _, v in received], policy.receiver_names)
    border = received[hop.index][0] if hop and hop.matched_by == "receiver" else None
    claims, ignored, corroborators = _classify(ars, arcs, xms, policy)
    placement = place(
        [c.header.position for c in claims],
        {c.header.position for c in claims if c.header.parsed.unreadable},
        [name.lower() for name, _ in fields],
        border,
    )
    for claim in claims:
        reason = placement.dropped.get(claim.header.position)
        if reason is not None:
            ignored.append(IgnoredHeader(claim.header, _with_id_problem(claim.header, reason)))
    kept = [c for c in claims if c.header.position in placement.counted]
    unreadable = tuple(c for c in kept if c.header.parsed.unreadable)
    trusted = [c for c in kept if not c.header.parsed.unreadable]
    results, shadowed = _merge(trusted) if not unreadable else ({}, [])
    return TrustDecision(
        trusted=tuple(trusted),
        ignored=tuple(ignored),
        results=results,
        shadowed=tuple(shadowed),
        arc=tuple(arcs),
        corroborators=tuple(corroborators),
        receiving_hop=hop,
        unreadable=unreadable,
    )


def _with_id_problem(ref: HeaderRef, reason: str) -> str:
    """A dropped header that could not be read also says why it could not."""
    if ref.parsed.unreadable:
        what = "its authserv-id" if ref.parsed.id_unread else "it"
        return f"{reason} ({what} could not be read: {ref.parsed.unreadable})"
    return reason


def _classify(
    ars: list[HeaderRef], arcs: list[HeaderRef], xms: list[HeaderRef], policy: TrustPolicy
) -> tuple[list[TrustedHeader], list[IgnoredHeader], list[HeaderRef]]:
    """Rules 1-3: which headers claim to be the receiver's, before position decides.

    Claims include headers with a trusted id that cannot be read, and headers whose id
    itself cannot be read: rule 5 must see them where they stand.
    """
    ids = {i.lower() for i in policy.trusted_authserv_ids}
    claims: list[TrustedHeader] = []
    ignored: list[IgnoredHeader] = []
    corroborators: list[HeaderRef] = []
    idless_seen = False
    for ref in ars:
        parsed = ref.parsed
        authserv_id = parsed.authserv_id
        if parsed.id_unread:
            claims.append(TrustedHeader(ref, "authserv-id unreadable; it may be the receiver's"))
        elif authserv_id is not None:
            if authserv_id.lower() in ids:
                claims.append(TrustedHeader(ref, f"trusted authserv-id {authserv_id}"))
            else:
                ignored.append(IgnoredHeader(ref, f"untrusted authserv-id {authserv_id}"))
        elif policy.receiver != "microsoft365":
            ignored.append(IgnoredHeader(ref, "no authserv-id (receiver is generic)"))
        elif idless_seen:
            ignored.append(
                IgnoredHeader(
                    ref, "no authserv-id, below the topmost one (only that is Microsoft's)"
                )
            )
        else:
            idless_seen = True
            if parsed.unreadable:  # Microsoft's by position; unreadable, so nothing to compare
                claims.append(
                    TrustedHeader(ref, "microsoft365: topmost header without authserv-id")
                )
                continue
            copies = _microsoft_copies(arcs, xms, ids)
            corroborators.extend(copies)
            basis, problem = _corroborate(ref, copies)
            if problem is None:
                claims.append(TrustedHeader(ref, basis))
            else:
                ignored.append(IgnoredHeader(ref, problem))
    return claims, ignored, corroborators


def _microsoft_copies(
    arcs: list[HeaderRef], xms: list[HeaderRef], ids: set[str]
) -> list[HeaderRef]:
    """Microsoft's own AAR (highest instance from mx.microsoft.com) and topmost X-MS copy."""
    names = ids | {MICROSOFT_AUTHSERV_ID}
    ms_arcs = [
        a
        for a in arcs
        if a.parsed.instance is not None and (a.parsed.authserv_id or "").lower() in names
    ]
    copies: list[HeaderRef] = []
    if ms_arcs:
        copies.append(max(ms_arcs, key=lambda a: (a.parsed.instance or 0, -a.position)))
    if xms:
        copies.append(xms[0])
    return copies


def _corroborate(ref: HeaderRef, copies: list[HeaderRef]) -> tuple[str, str | None]:
    """(basis, None) when every copy agrees with `ref`; ("", reason) otherwise."""
    if not copies:
        return "", (
            "no authserv-id, and no ARC-Authentication-Results from mx.microsoft.com nor "
            "X-MS-Exchange-Authentication-Results to corroborate it"
        )
    shared = 0
    for copy in copies:
        for method in _COMPARED:
            mine, theirs = _first_result(ref.parsed, method), _first_result(copy.parsed, method)
            if mine is None or theirs is None:
                continue
            shared += 1
            if mine != theirs:
                return "", (
                    f"no authserv-id, and {method}={mine} disagrees with "
                    f"{copy.name} ({method}={theirs})"
                )
    if shared == 0:
        return "", "no authserv-id, and Microsoft's copies share no spf/dkim/dmarc result with it"
    names = " and ".join(sorted({c.name for c in copies}))
    return f"microsoft365: topmost header without authserv-id, agrees with {names}", None


def _first_result(parsed: AuthResults, method: str) -> str | None:
    for result in parsed.results:
        if result.method == method:
            return normalise(method, result.result).result
    return None


def _merge(
    trusted: list[TrustedHeader],
) -> tuple[dict[str, tuple[SourcedResult, ...]], list[tuple[SourcedResult, str]]]:
    """Merge believed headers per method, topmost first, without lower upgrades."""
    merged: dict[str, list[SourcedResult]] = {}
    owner: dict[str, int] = {}  # method -> position of the header that decides it
    shadowed: list[tuple[SourcedResult, str]] = []
    for item in trusted:
        ref = item.header
        for result in ref.parsed.results:
            sourced = SourcedResult(result, ref)
            kept = merged.setdefault(result.method, [])
            if result.method == "dkim":
                identity = dkim_identity(result)
                if any(
                    k.header.position != ref.position
                    and same_signature(dkim_identity(k.result), identity)
                    for k in kept
                ):
                    shadowed.append((sourced, "a higher trusted header reported this signature"))
                    continue
            elif owner.setdefault(result.method, ref.position) != ref.position:
                shadowed.append(
                    (sourced, f"a higher trusted header reported {result.method}; it decides")
                )
                continue
            kept.append(sourced)
    return {m: tuple(v) for m, v in merged.items() if v}, shadowed
