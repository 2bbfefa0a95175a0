"""What `senderwatch blocklists test` prints: one line per list, as text or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.blocklists.selftest import SelfTest

__all__ = ["render_self_test_text", "self_test_document"]


def self_test_document(results: Sequence[SelfTest]) -> dict[str, Any]:
    """The JSON document of `senderwatch blocklists test --format json`."""
    return {"version": 1, "lists": [result.to_dict() for result in results]}


def render_self_test_text(results: Sequence[SelfTest]) -> str:
    """`name (zone): verdict: sentence`, one list per line."""
    if not results:
        return "no blocklists configured"
    width = max(len(r.spec.name) for r in results)
    return "\n".join(
        f"{r.spec.name:<{width}}  {r.verdict.upper():<16} {r.spec.zone}: {r.message}"
        for r in results
    )
