"""Identifier alignment (RFC 7489 §3.1): relaxed = same organisational domain, strict = equal.

The organisational domain comes from the Public Suffix List (`publicsuffixlist`, RFC 7489
§3.2). The list object is built once per process: it is static data shipped with the
package, not a DNS cache, so it cannot hide drift.
"""

from __future__ import annotations

from typing import Literal

from checks import psl
from checks.dns.resolver import to_alabel

__all__ = ["AlignmentMode", "aligned", "domain_of", "normalise_domain", "organizational_domain"]

AlignmentMode = Literal["r", "s"]


def normalise_domain(domain: str | None) -> str | None:
    """Lower-case A-label form without trailing dot; None for empty or unusable input."""
    if not domain:
        return None
    name = domain.strip().strip("<>").rstrip(".")
    if not name or any(c.isspace() for c in name):
        return None
    try:
        return to_alabel(name)
    except Exception:  # idna rejects the name: keep it comparable, lower-cased as written
        return name.lower()


def domain_of(identity: str | None) -> str | None:
    """Domain of `user@domain`, `@domain` or a bare `domain` (normalised), else None."""
    if not identity:
        return None
    return normalise_domain(identity.rpartition("@")[2])


def organizational_domain(domain: str) -> str:
    """The registrable domain (`mx.example.co.uk` → `example.co.uk`); a public suffix itself."""
    name = normalise_domain(domain) or domain.lower()
    return psl.organizational_domain(name)


def aligned(a: str | None, b: str | None, mode: AlignmentMode) -> bool:
    """True when domains `a` and `b` align in `mode` ("r" relaxed, "s" strict)."""
    na, nb = normalise_domain(a), normalise_domain(b)
    if na is None or nb is None:
        return False
    if mode == "s":
        return na == nb
    return organizational_domain(na) == organizational_domain(nb)
