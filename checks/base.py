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

__all__ = ["Check", "CheckContext", "Clock", "DomainTarget", "utcnow"]

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


@dataclasses.dataclass(frozen=True, slots=True)
class DomainTarget:
    """One watched domain as the operator configured it, in the checks' own terms.

    `monitor.wiring` builds it from the domain's settings; each domain-scoped check turns it
    into its own `Config` (`configure`), so the mapping lives beside the check that uses it
    and `checks` never imports the config layer.
    """

    name: str
    dkim_selectors: tuple[str, ...] = ()
    dmarc_policy: str | None = None
    spf_includes: tuple[str, ...] = ()
    spf_ip_ranges: tuple[str, ...] = ()
    min_dkim_bits: int = 2048
    dkim_key_types: tuple[str, ...] = ("rsa", "ed25519")


class Check(Protocol):
    """The protocol every registered check implements.

    `drift_rules` say which way each observation the check emits is stronger
    (`checks.drift_rules`). Domain-scoped checks (scope "domain") also have a classmethod
    `configure(target: DomainTarget) -> Config`; environment-scoped ones (the relay probe)
    are configured from the environment's settings by `monitor.wiring`.
    """

    kind: str
    name: str
    scope: str
    drift_rules: tuple[Any, ...]

    def run(self, subject: str, config: Any, ctx: CheckContext) -> CheckResult: ...
