"""The Public Suffix List, loaded once per process, and the organisational domain (RFC 7489 §3.2).

Loaded under a lock: the first DMARC checks of a run start dozens at once, and an unguarded
lazy load (`functools.cache` is not a once-only guard) parsed the list once per thread:
45 parses, 40 s of CPU, on a 2,000-domain run. This is data shipped with the package, not a
DNS cache, so it cannot hide a change between runs.
"""

from __future__ import annotations

import threading

from publicsuffixlist import PublicSuffixList

__all__ = ["organizational_domain", "public_suffix_list"]

_lock = threading.Lock()
_loaded: PublicSuffixList | None = None


def public_suffix_list() -> PublicSuffixList:
    """The bundled list, parsed on first use by exactly one thread."""
    global _loaded  # noqa: PLW0603 - a once-only load of immutable data
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = PublicSuffixList()
    return _loaded


def organizational_domain(domain: str) -> str:
    """The registrable domain of an A-label name (`mx.example.co.uk` → `example.co.uk`); the
    name itself when it is a public suffix or has no registrable part."""
    name = domain.rstrip(".").lower()
    return public_suffix_list().privatesuffix(name) or name
