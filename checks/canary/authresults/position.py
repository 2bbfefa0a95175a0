"""Where the receiver's own Authentication-Results stand: the position rule of trust.

Receivers prepend (RFC 5321 §4.4, RFC 8601 §7.3): whatever the receiver writes stands above
the message as it arrived, and whatever the sender or a relay wrote stands below. The
receiver's border Received hop (`received.find_receiving_hop`, matched by the receiver's
name) marks that line, so a header claiming the receiver's id on the wrong side of it is a
forgery however it reads:

- A receiver that writes above its border hop (Postfix with OpenDKIM, OpenDMARC and
  policyd-spf; Fastmail; Microsoft 365): only the headers above the hop count.
- A receiver that writes below it (Gmail: `Received`, then `Received-SPF`, then its one
  `Authentication-Results`): only the header directly beneath the hop counts, with nothing
  but `Received-SPF` between. Lower ones arrived with the message. Gmail writes one header,
  so nothing is lost; a receiver that wrote none leaves nothing to believe.
- No border hop found by name (an authserv-id unlike any host name): position proves
  little. Every readable header claiming the id counts and the merge rules of `trust`
  decide; a header that cannot be read counts only above the topmost readable one.

Which case applies is read from the message itself: the receiver writes above its hop when
any header claiming its id stands above the hop.

Headers are given by position (index among the top-level fields); the caller says which
claim to be the receiver's and which of those could not be read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence

__all__ = ["ABOVE_BORDER", "Placement", "place"]

ABOVE_BORDER = (
    "below the receiver's own Received header, which it writes its results above: "
    "the header arrived with the message"
)
BENEATH_ONE = (
    "below the receiver's own header, which it writes once, directly beneath its Received "
    "header: the header arrived with the message"
)
NOT_BENEATH = (
    "below the receiver's Received header but not directly beneath it (only Received-SPF may "
    "stand between), where a receiver that writes below its Received puts its header: "
    "the header arrived with the message"
)
BELOW_READABLE = (
    "below a readable header with the trusted authserv-id, and no Received header names "
    "the receiver, so it cannot be told from one the sender added"
)
_BETWEEN = frozenset({"received-spf"})


@dataclasses.dataclass(frozen=True, slots=True)
class Placement:
    """Which candidate headers stand where the receiver writes.

    Attributes:
        counted: positions of the headers that count.
        dropped: position → why the header does not count.
    """

    counted: frozenset[int]
    dropped: Mapping[int, str]


def place(
    claims: Sequence[int],
    unreadable: Collection[int],
    field_names: Sequence[str],
    border: int | None,
) -> Placement:
    """Apply the position rule.

    Args:
        claims: positions of every header claiming to be the receiver's: a trusted
            authserv-id, Microsoft's id-less one, or an authserv-id that cannot be read.
        unreadable: the positions among `claims` whose header could not be read whole.
        field_names: lower-case names of all top-level fields, in message order.
        border: position of the receiver's border Received (matched by name), or None.
    """
    candidates = sorted(set(claims))
    if border is None:
        return _without_border(candidates, unreadable)
    if any(c < border for c in candidates):
        return Placement(
            frozenset(c for c in candidates if c < border),
            {c: ABOVE_BORDER for c in candidates if c > border},
        )
    slot = border + 1
    while slot < len(field_names) and field_names[slot] in _BETWEEN:
        slot += 1
    if slot in candidates:
        return Placement(frozenset({slot}), {c: BENEATH_ONE for c in candidates if c != slot})
    return Placement(frozenset(), {c: NOT_BENEATH for c in candidates})


def _without_border(candidates: list[int], unreadable: Collection[int]) -> Placement:
    """No hop names the receiver: readable claims all count (merged); an unreadable one
    counts only above the topmost readable one, where it would have been the receiver's.

    Lower down it cannot be told from one the sender added, and counting it would let any
    sender turn the receiver's fail into "could not be read".
    """
    top = min((c for c in candidates if c not in unreadable), default=None)
    counted = {c for c in candidates if c not in unreadable or top is None or c < top}
    return Placement(
        frozenset(counted), {c: BELOW_READABLE for c in candidates if c not in counted}
    )
