"""Blocklists: the self-test of every configured list (`senderwatch blocklists test`).

The check itself runs with the others (`monitor.services.checks`, `check --env`); this asks
each list its RFC 5782 test entries through the configured resolver, so an operator learns
before enabling the check whether the lists answer from here (most refuse public resolvers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.app import App
from monitor.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from checks.blocklists.selftest import SelfTest

__all__ = ["exit_code", "self_test"]


def self_test(app: App, names: Sequence[str] = ()) -> list[SelfTest]:
    """`SelfTest` per configured list (or only those in `names`), in config order.

    Raises:
        UsageError: a name in `names` is not a configured list.
    """
    from checks.blocklists.selftest import self_test as run_self_test
    from monitor.engine.runner import make_resolver
    from monitor.wiring.blocklists import list_specs

    specs = list_specs(app.settings.blocklists, app.environ)
    if names:
        known = {spec.name for spec in specs}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise UsageError(
                f"unknown list {', '.join(unknown)} (configured: {', '.join(sorted(known))})"
            )
        specs = tuple(spec for spec in specs if spec.name in names)
    resolver = make_resolver(app.settings.dns)
    return [run_self_test(resolver, spec) for spec in specs]


def exit_code(verdicts: Sequence[str]) -> ExitCode:
    """0 every list works; 1 a list answers wrongly (not listing its test entry, listing
    everything); 3 the rest could not be asked (refused, unavailable)."""
    if all(verdict == "works" for verdict in verdicts):
        return ExitCode.OK
    if {"not_listing", "lists_everything"} & set(verdicts):
        return ExitCode.FAILED
    return ExitCode.ERROR_ONLY
