"""Drift: how the latest result's observations moved away from the approved baseline. Pure.

`detect_drift(baseline, result)` compares normalised observations only, never evidence or
versions: checks emit `dmarc.p = "reject"`, not the TXT record, so whitespace, tag order, a
different TXT split or a checkdmarc upgrade cannot cause drift. An ERROR result ("could not
measure") never drifts: a timeout must not look like a deleted record.

Each changed key is classified by the first rule whose pattern matches it (`fnmatch`, so
`dkim.*.key_bits` covers every selector). Every check declares its own `drift_rules` beside
the observations it emits (`checks.drift_rules`); `all_rules()` gathers them from the check
registry and the canary. docs/drift.md explains them for operators.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import functools
from collections.abc import Callable, Mapping
from typing import Any

from checks.drift_rules import WARNING, Ceiling, Compare, Order, Rule
from checks.result import CheckResult, Scalar, Severity, Status

__all__ = ["Direction", "Drift", "all_rules", "detect_drift", "rule_for"]


DEFAULT_RULE = Rule("*", "neutral", WARNING)


def all_rules() -> tuple[Rule, ...]:
    """Every registered check's `drift_rules`, then the canary's: the whole drift policy."""
    from checks.canary.drift import DRIFT_RULES as CANARY_RULES
    from checks.registry import CHECKS

    checks = (rule for cls in CHECKS.values() for rule in cls.drift_rules)  # type: ignore[attr-defined]
    return (*checks, *CANARY_RULES)


@functools.cache
def _rules() -> tuple[Rule, ...]:
    return all_rules()


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
    """The first rule whose pattern matches `key`, else the neutral default."""
    for rule in _rules():
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
