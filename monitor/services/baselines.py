"""Baselines: what the CLI, the HTTP API and the reports ask of them.

    show(app, selection)                current baselines and open drift
    approve(app, selection, by, reason) a person accepts the latest measured results

Selections are checked against what exists, so a typo never looks like "nothing to do":
an unknown domain, environment or check, or an approval that matches no result, is a
`UsageError` (exit 2) that names what is known.
"""

from __future__ import annotations

import dataclasses

from monitor.app import App
from monitor.engine.baselines import baseline_draft
from monitor.errors import UsageError
from monitor.policy.baseline import approval, require_who_and_why
from monitor.storage import (
    Baseline,
    BaselineRepository,
    DriftRepository,
    KeyFilter,
    ResultRepository,
    StoredDrift,
)

__all__ = ["Approval", "BaselineView", "Selection", "approve", "show"]

KNOWN_CHECKS = ("spf", "dmarc", "dkim", "mx", "mta_sts", "tlsrpt", "smtp", "canary")


@dataclasses.dataclass(frozen=True, slots=True)
class Selection:
    """Which (check, subject, environment) keys a request is about; None means any."""

    domain: str | None = None
    environment: str | None = None
    check: str | None = None

    def key_filter(self) -> KeyFilter:
        return KeyFilter(
            subject=self.domain.strip().rstrip(".").lower() if self.domain else None,
            environment=self.environment,
            # Stored under the check's short name; accept the registry id ("dns.dmarc") too.
            check=self.check.rsplit(".", 1)[-1] if self.check else None,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class BaselineView:
    baselines: tuple[Baseline, ...]
    drifts: tuple[StoredDrift, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Approval:
    """One approved key: the new baseline, the one it replaced and the drift it accepted."""

    baseline: Baseline
    previous: Baseline | None
    accepted: tuple[StoredDrift, ...]


def show(app: App, selection: Selection) -> BaselineView:
    """Current baselines and the drift still open for `selection`.

    Raises:
        UsageError: the selection names a domain, environment or check nobody knows.
    """
    where = selection.key_filter()
    with app.database.transaction() as session:
        baselines = BaselineRepository(session).current_all(where)
        drifts = DriftRepository(session).open(where)
        if not baselines:
            _explain_empty(app, selection, ResultRepository(session).subjects())
    return BaselineView(tuple(baselines), tuple(drifts))


def approve(app: App, selection: Selection, *, by: str, reason: str) -> list[Approval]:
    """Make the newest measured result of every key in `selection` its new baseline.

    Raises:
        UsageError: no reason or approver, an unknown name, or nothing matches.
    """
    try:
        require_who_and_why(by, reason)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    where = selection.key_filter()
    now = app.clock()
    with app.database.transaction() as session:
        baselines, results = BaselineRepository(session), ResultRepository(session)
        open_drift: dict[int, list[StoredDrift]] = {}
        for item in DriftRepository(session).open(where):
            open_drift.setdefault(item.result_id, []).append(item)
        approvals = []
        for stored in results.latest_measured_all(where):
            result = stored.result
            new = approval(result, by=by, reason=reason)
            previous = baselines.current(result.check, result.subject, result.environment)
            baseline = baselines.add(baseline_draft(stored, new, now))
            approvals.append(Approval(baseline, previous, tuple(open_drift.get(stored.id, ()))))
        if not approvals:
            _explain_empty(app, selection, results.subjects())
            raise UsageError(
                f"nothing to approve: no measured result matches {_describe(selection)}"
            )
    return approvals


def _explain_empty(app: App, selection: Selection, stored_subjects: set[str]) -> None:
    """Raise a `UsageError` naming the unknown part of `selection`, if any part is unknown."""
    where = selection.key_filter()
    if where.check is not None and where.check not in KNOWN_CHECKS:
        raise UsageError(f"unknown check {selection.check!r} (checks: {', '.join(KNOWN_CHECKS)})")
    settings = app.settings
    if where.environment is not None and where.environment not in settings.environments:
        known = ", ".join(sorted(settings.environments)) or "none configured"
        raise UsageError(f"unknown environment {where.environment!r} (environments: {known})")
    if where.subject is not None:
        configured = {d.name.lower() for d in settings.domains}
        configured |= {e.domain.lower() for e in settings.environments.values()}
        if where.subject not in configured | stored_subjects:
            known = ", ".join(sorted(configured)) or "none configured"
            raise UsageError(
                f"unknown domain {selection.domain!r}: not in the config and never checked "
                f"(domains: {known})"
            )


def _describe(selection: Selection) -> str:
    parts = [
        f"{label} {value}"
        for label, value in (
            ("domain", selection.domain),
            ("environment", selection.environment),
            ("check", selection.check),
        )
        if value
    ]
    return " and ".join(parts) if parts else "any check"
