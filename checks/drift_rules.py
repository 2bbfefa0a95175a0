"""The vocabulary a check uses to say which way its observations are stronger.

Each check declares `drift_rules` next to the observations it emits, so adding a check is one
module and one registry line; `monitor.policy.drift` gathers the rules of every registered
check and applies them (pure). A changed key is classified by the first rule whose pattern
matches it (`fnmatch`, so `dkim.*.key_bits` covers every selector).

compare:
    Order(...)  ordinal, weakest first    "higher"  a larger number is stronger
    Ceiling(n)  "higher" up to n; a change involving a value above n has no direction
    "true"      True is the strong value  "false"   False is the strong value
    "pass"      "pass" is strong, any other result token weak
    "neutral"   no direction: every change is "changed" (warning)
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from checks.result import Scalar, Severity

__all__ = ["CRITICAL", "WARNING", "Ceiling", "Compare", "Order", "Rule"]

CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING


class Order(NamedTuple):
    """Values from weakest to strongest; a tuple at one position holds equally strong values."""

    levels: tuple[Scalar | tuple[Scalar, ...], ...]


class Ceiling(NamedTuple):
    """A higher number is stronger up to `limit`; a move to or from a value above it has no
    direction (above it, more stops meaning better)."""

    limit: float


Compare = Order | Ceiling | Literal["higher", "true", "false", "pass", "neutral"]


class Rule(NamedTuple):
    """`pattern`: observation key (fnmatch). `compare`: which way is stronger. `severity`:
    how bad a weakening is (a strengthening is always info, a neutral change a warning)."""

    pattern: str
    compare: Compare
    severity: Severity
