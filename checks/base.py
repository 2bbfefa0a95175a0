"""What every check receives and implements.

A check is a class with a `kind`, a `name` and `run(subject, config, ctx) -> CheckResult`.
It does I/O with the outside world through `ctx` only (resolver, clock), never touches the
database and never decides about alerts. Only programming errors raise; the runner turns an
unexpected exception into an ERROR result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from checks.result import CheckResult

__all__ = ["Check", "CheckContext", "Clock", "utcnow"]

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The default clock: aware UTC now."""
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class CheckContext:
    """Everything a check may use to reach the world. Injected, so tests swap each part.

    `resolver` is a `checks.dns.resolver.Resolver` (typed loosely here so this module stays
    free of dnspython); it carries retry, timeout and the per-run cache.
    """

    resolver: Any
    clock: Clock = utcnow
    environment: str | None = None


class Check(Protocol):
    """The protocol every registered check implements."""

    kind: str
    name: str

    def run(self, subject: str, config: Any, ctx: CheckContext) -> CheckResult: ...
