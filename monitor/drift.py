"""Drift: how the latest result's observations moved away from the approved baseline. Pure.

`detect_drift(baseline, result)` compares normalised observations only, never evidence or
versions: checks emit `dmarc.p = "reject"`, not the TXT record, so whitespace, tag order, a
different TXT split or a checkdmarc upgrade cannot cause drift. An ERROR result ("could not
measure") never drifts: a timeout must not look like a deleted record.

Each changed key is classified by the first rule in `RULES` whose pattern matches it
(`fnmatch`, so `dkim.*.key_bits` covers every selector). The table is the whole policy;
docs/drift.md explains it for operators.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

from checks.result import CheckResult, Scalar, Severity, Status

__all__ = ["RULES", "Ceiling", "Direction", "Drift", "Order", "Rule", "detect_drift", "rule_for"]


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


CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING
DMARC_POLICY = Order(("none", "quarantine", "reject"))

# ---------------------------------------------------------------------------------------------
# THE DRIFT RULES. First match wins. compare:
#   Order(...)  ordinal, weakest first    "higher"  a larger number is stronger
#   Ceiling(n)  "higher" up to n; a change involving a value above n has no direction
#   "true"      True is the strong value  "false"   False is the strong value
#   "pass"      "pass" is strong, any other result token weak
#   "neutral"   no direction: every change is "changed" (warning)
# ---------------------------------------------------------------------------------------------
RULES: tuple[Rule, ...] = (
    # DMARC (RFC 7489 §6.3; t from RFC 9989: t=y makes receivers apply one step weaker)
    Rule("dmarc.p", DMARC_POLICY, CRITICAL),
    Rule("dmarc.sp", DMARC_POLICY, CRITICAL),
    Rule("dmarc.np", DMARC_POLICY, CRITICAL),
    Rule("dmarc.pct", "higher", CRITICAL),
    Rule("dmarc.t", Order((("y", True), ("n", False))), CRITICAL),
    Rule("dmarc.present", "true", CRITICAL),
    # SPF (RFC 7208 §4.7: no `all` at all is the same as ?all)
    Rule("spf.all", Order(("+all", ("?all", "none"), "~all", "-all")), CRITICAL),
    Rule("spf.present", "true", CRITICAL),
    Rule("spf.expected_include.*", "true", CRITICAL),
    Rule("spf.expected_ip_range.*", "true", CRITICAL),
    Rule("spf.within_limits", "true", CRITICAL),
    Rule("spf.include.*", "neutral", WARNING),  # critical only via spf.expected_include.*
    # DKIM (RFC 6376 §3.6.1: empty p= revokes; t=y is testing; RFC 8301: key size)
    Rule("dkim.*.present", "true", CRITICAL),
    # RSA bits: verifiers must handle keys up to 4096 bits only (RFC 8301 §3.2), so a larger key
    # is not stronger for mail: 2048 → 16384 and back are both a neutral change.
    Rule("dkim.*.key_bits", Ceiling(4096), CRITICAL),
    Rule("dkim.*.revoked", "false", CRITICAL),
    Rule("dkim.*.testing", "false", WARNING),
    # MX
    Rule("mx.present", "true", CRITICAL),
    # Canary round trip: what the receiver said about a real message
    Rule("canary.spf", "pass", CRITICAL),
    Rule("canary.dkim", "pass", CRITICAL),
    Rule("canary.dmarc", "pass", CRITICAL),
    Rule("canary.spf_aligned", "true", CRITICAL),
    Rule("canary.dkim_aligned", "true", CRITICAL),
    Rule("canary.tls", "true", CRITICAL),
    Rule("canary.delivered", "true", CRITICAL),
    # Relay probe (smtp check): STARTTLS dropped or a certificate no longer valid
    Rule("smtp.starttls", "true", CRITICAL),
    Rule("smtp.cert_valid", "true", CRITICAL),
    Rule("smtp.tls_version", Order(("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")), CRITICAL),
)
DEFAULT_RULE = Rule("*", "neutral", WARNING)
# ---------------------------------------------------------------------------------------------


class Direction(enum.StrEnum):
    WEAKENED = "weakened"
    STRENGTHENED = "strengthened"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclasses.dataclass(frozen=True, slots=True)
class Drift:
    """One observation that differs from the baseline (`before`) in the latest result."""

    check: str
    subject: str
    environment: str | None
    key: str
    before: Scalar
    after: Scalar
    direction: Direction
    severity: Severity

    def to_dict(self) -> dict[str, Any]:
        """The shape of one entry of `drifts` in `senderwatch check --format json`."""
        return {
            "check": self.check,
            "subject": self.subject,
            "environment": self.environment,
            "key": self.key,
            "before": self.before,
            "after": self.after,
            "direction": self.direction.value,
            "severity": self.severity.value,
        }


def rule_for(key: str) -> Rule:
    """The first rule of `RULES` whose pattern matches `key`, else the neutral default."""
    for rule in RULES:
        if fnmatch.fnmatchcase(key, rule.pattern):
            return rule
    return DEFAULT_RULE


def detect_drift(baseline: Mapping[str, Scalar], result: CheckResult) -> list[Drift]:
    """Every observation of `result` that moved away from `baseline`, sorted by key.

    Args:
        baseline: the approved observations for the result's (check, subject, environment).
        result: the latest result; an ERROR result yields no drift at all.
    """
    if result.status is Status.ERROR:
        return []
    drifts = []
    for key in sorted(set(baseline) | set(result.observations)):
        before, after = baseline.get(key, _ABSENT), result.observations.get(key, _ABSENT)
        if _same(before, after):
            continue
        direction, severity = _classify(key, before, after)
        drifts.append(
            Drift(
                check=result.check,
                subject=result.subject,
                environment=result.environment,
                key=key,
                before=None if before is _ABSENT else before,
                after=None if after is _ABSENT else after,
                direction=direction,
                severity=severity,
            )
        )
    return drifts


_ABSENT: Any = object()


def _same(before: object, after: object) -> bool:
    # `True == 1` in Python; a bool turning into a number is a change.
    if _is_number(before) and _is_number(after):
        return before == after
    return type(before) is type(after) and before == after


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _classify(key: str, before: object, after: object) -> tuple[Direction, Severity]:
    if before is _ABSENT:
        return Direction.ADDED, WARNING
    if after is _ABSENT:
        return Direction.REMOVED, WARNING
    rule = rule_for(key)
    sign = _compare(rule.compare, before, after)
    if sign < 0:
        return Direction.WEAKENED, rule.severity
    if sign > 0:
        return Direction.STRENGTHENED, Severity.INFO
    return Direction.CHANGED, WARNING


def _compare(compare: Compare, before: object, after: object) -> int:
    """-1 weaker, +1 stronger, 0 no direction (unknown values, or a neutral key)."""
    if isinstance(compare, Order):
        b, a = _level(compare, before), _level(compare, after)
        return 0 if b is None or a is None else _sign(a - b)
    if isinstance(compare, Ceiling):
        pair = (before, after)
        numbers = [v for v in pair if isinstance(v, int | float) and not isinstance(v, bool)]
        within = len(numbers) == 2 and max(numbers) <= compare.limit
        return _higher(before, after) if within else 0
    return _COMPARATORS[compare](before, after)


def _higher(before: object, after: object) -> int:
    if isinstance(before, int | float) and isinstance(after, int | float):
        return _sign(after - before) if _is_number(before) and _is_number(after) else 0
    return 0


def _flag(strong: bool) -> Callable[[object, object], int]:
    def compare(before: object, after: object) -> int:
        if not (isinstance(before, bool) and isinstance(after, bool)):
            return 0
        return 1 if after is strong else -1

    return compare


def _pass(before: object, after: object) -> int:
    if before == "pass":
        return -1
    return 1 if after == "pass" else 0


_COMPARATORS: dict[str, Callable[[object, object], int]] = {
    "higher": _higher,
    "true": _flag(strong=True),
    "false": _flag(strong=False),
    "pass": _pass,
    "neutral": lambda _before, _after: 0,
}


def _level(order: Order, value: object) -> int | None:
    for index, level in enumerate(order.levels):
        equals = level if isinstance(level, tuple) else (level,)
        if any(_same(value, candidate) for candidate in equals):
            return index
    return None


def _sign(number: float) -> int:
    return (number > 0) - (number < 0)
