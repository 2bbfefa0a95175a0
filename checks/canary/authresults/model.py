"""What one parsed Authentication-Results header holds (RFC 8601 §2.2), as frozen values.

The parser never raises: a header it cannot fully read still yields an `AuthResults`, with
every `ResInfo` it read completely and one line per problem in `problems`. A result whose
syntax broke half-way is dropped rather than guessed at, so malformed input can only lose
results, never invent a pass. What was lost is named in `unreadable`: the trust rules must
know that a header said more than was read, or a lower header could speak in its place.

Comments are kept per result because receivers put facts there that no property carries:
DMARC policy and disposition (`dmarc=pass (p=REJECT sp=REJECT dis=NONE)`), key sizes
(`(1024-bit key; unprotected)`), and the body-hash failure (`(body hash did not verify)`).
"""

from __future__ import annotations

import dataclasses

__all__ = ["AuthResults", "Property", "ResInfo"]


@dataclasses.dataclass(frozen=True, slots=True)
class Property:
    """One `ptype.property=value` (`header.d=example.com`).

    `ptype` is "" for a bare `key=value` that some receivers write outside the grammar
    (Microsoft's `action=none`, Fastmail's `x-bits=2048`): kept, never interpreted.
    `ptype` and `name` are lower case; `value` is as written (quotes removed).
    """

    ptype: str
    name: str
    value: str

    @property
    def key(self) -> str:
        """`header.d`, or the bare name for a property without a ptype."""
        return f"{self.ptype}.{self.name}" if self.ptype else self.name


@dataclasses.dataclass(frozen=True, slots=True)
class ResInfo:
    """One `method=result` with its reason, properties and comments.

    `method` and `result` are lower case and as written: mapping provider tokens
    (`perm_fail`, `hardfail`) to RFC results is `provider_results.normalise`'s job, so the
    raw token stays visible in evidence.
    """

    method: str
    result: str
    method_version: str | None = None
    reason: str | None = None
    properties: tuple[Property, ...] = ()
    comments: tuple[str, ...] = ()

    def prop(self, key: str) -> str | None:
        """Value of the first property named `key` (`"header.d"`, `"action"`), or None."""
        for p in self.properties:
            if p.key == key:
                return p.value
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "method_version": self.method_version,
            "result": self.result,
            "reason": self.reason,
            "properties": {p.key: p.value for p in self.properties},
            "comments": list(self.comments),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class AuthResults:
    """One Authentication-Results (or ARC-Authentication-Results) header, parsed.

    Attributes:
        authserv_id: the producing service (`mx.example.net`); None when the header has none
            (Microsoft 365 writes `Authentication-Results: spf=pass ...`).
        version: the optional version token after the authserv-id (`mx.microsoft.com 1`).
        results: every result read completely, in header order.
        none: the header said `none` (no method was applied).
        comments: comments outside any result (around the authserv-id: Amavis).
        problems: one readable line per syntax problem; empty when the header is clean.
        raw: the header value as given (for evidence).
        instance: the ARC instance (`i=1`) for ARC-Authentication-Results, else None.
        unreadable: why the header, or part of it, was not read (over the length limit, an
            unreadable authserv-id, a result dropped for its syntax); None when every part
            was read. Problems that lose nothing (NULs, a missing result list) leave it None.
        id_unread: the authserv-id itself could not be read, so `authserv_id` is None without
            the header being id-less: whose header it is cannot be known.
    """

    authserv_id: str | None
    results: tuple[ResInfo, ...] = ()
    version: str | None = None
    none: bool = False
    comments: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    raw: str = ""
    instance: int | None = None
    unreadable: str | None = None
    id_unread: bool = False

    @property
    def ok(self) -> bool:
        """True when the header parsed without any problem."""
        return not self.problems

    def methods(self, method: str) -> tuple[ResInfo, ...]:
        """All results for `method` (lower case), in header order."""
        return tuple(r for r in self.results if r.method == method)

    def to_dict(self) -> dict[str, object]:
        return {
            "authserv_id": self.authserv_id,
            "version": self.version,
            "instance": self.instance,
            "none": self.none,
            "results": [r.to_dict() for r in self.results],
            "comments": list(self.comments),
            "problems": list(self.problems),
            "unreadable": self.unreadable,
        }
