"""The message's own DKIM-Signature headers (RFC 6376 §3.5), read just enough to match results.

A receiver may report several `dkim=` results (ours, the ESP's, a mailing list's); RFC 8601
§2.7.1 gives `header.d`, `header.s` and `header.b` (a prefix of the signature) to tell them
apart. This module reads `d=`, `s=`, `a=` and `b=` from each signature so the evaluator can
find the result that belongs to our signature. It validates nothing cryptographic.
"""

from __future__ import annotations

import dataclasses
import re

from checks.canary.authresults.alignment import domain_of, normalise_domain
from checks.canary.authresults.model import ResInfo

__all__ = [
    "DkimSignature",
    "dkim_identity",
    "matches_signature",
    "parse_dkim_signature",
    "same_signature",
]

_WS = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True, slots=True)
class DkimSignature:
    """Identity of one DKIM-Signature: domain, selector, algorithm, signature (no spaces)."""

    domain: str | None
    selector: str | None
    algorithm: str | None
    b: str
    raw: str

    def to_dict(self) -> dict[str, object]:
        return {
            "d": self.domain,
            "s": self.selector,
            "a": self.algorithm,
            "b_prefix": self.b[:16],
        }


def parse_dkim_signature(value: str) -> DkimSignature:
    """Read the tags of one DKIM-Signature value; missing or broken tags become None / ""."""
    tags: dict[str, str] = {}
    for part in value.split(";"):
        name, sep, tag_value = part.partition("=")
        if not sep:
            continue
        name = name.strip().lower()
        if name and name not in tags:
            tags[name] = tag_value
    selector = _WS.sub("", tags.get("s", "")).lower() or None
    algorithm = _WS.sub("", tags.get("a", "")).lower() or None
    return DkimSignature(
        domain=normalise_domain(_WS.sub("", tags.get("d", ""))),
        selector=selector,
        algorithm=algorithm,
        b=_WS.sub("", tags.get("b", "")),
        raw=value,
    )


def dkim_identity(result: ResInfo) -> tuple[str | None, str | None, str | None]:
    """(domain, selector, signature prefix) a `dkim=` result names, each None when absent.

    The domain comes from `header.d`, else from `header.i` (Gmail writes only `header.i=@d`).
    """
    domain = normalise_domain(result.prop("header.d")) or domain_of(result.prop("header.i"))
    selector = result.prop("header.s")
    b = result.prop("header.b")
    return domain, (selector.lower() if selector else None), (b or None)


def same_signature(
    a: tuple[str | None, str | None, str | None], b: tuple[str | None, str | None, str | None]
) -> bool:
    """True when two identities may name the same signature (absent parts do not disagree)."""
    if a[0] != b[0]:
        return False
    if a[1] and b[1] and a[1] != b[1]:
        return False
    return not (a[2] and b[2] and not (a[2].startswith(b[2]) or b[2].startswith(a[2])))


def matches_signature(
    identity: tuple[str | None, str | None, str | None], signature: DkimSignature
) -> bool:
    """True when a result's identity fits one of the message's DKIM-Signature headers."""
    domain, selector, b = identity
    if domain is None or domain != signature.domain:
        return False
    if selector and signature.selector and selector != signature.selector:
        return False
    return not (b and signature.b and not signature.b.startswith(b))
