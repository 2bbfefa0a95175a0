"""What a check could not deliver becomes an ERROR result, built the same way for every caller.

The runner (DNS checks and the relay probe) and the canary run both call code that may crash
or never return. Neither may lose the run for it: the check's slot gets an ERROR result whose
one finding is `unmeasurable` (so alerts treat it as "could not measure", never as a failure):

- `check.crashed`: the check raised; its traceback is kept in `evidence["traceback"]`;
- `check.deadline_exceeded`: the runner stopped waiting for it (`monitor.engine.runner`).

Both callers use `guarded` and `error_result` from here, so a crash reads the same in
`senderwatch check` and `senderwatch canary`.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Callable, Mapping

from checks.base import Clock
from checks.result import CheckResult, Finding, Severity, Status

__all__ = ["CRASHED", "DEADLINE_EXCEEDED", "error_result", "guarded"]

CRASHED = "check.crashed"
DEADLINE_EXCEEDED = "check.deadline_exceeded"


def error_result(
    check_id: str,
    subject: str,
    environment: str | None,
    *,
    started_at: dt.datetime,
    duration_s: float,
    finding: Finding,
    evidence: Mapping[str, object] | None = None,
) -> CheckResult:
    """An ERROR result for check `check_id` ("dns.spf", "canary.canary") holding one finding."""
    kind, _, name = check_id.partition(".")
    return CheckResult(
        check=name or kind,
        kind=kind,
        subject=subject,
        environment=environment,
        started_at=started_at,
        duration_s=duration_s,
        status=Status.ERROR,
        findings=(finding,),
        evidence=dict(evidence or {}),
    )


def guarded(
    check_id: str,
    subject: str,
    environment: str | None,
    clock: Clock,
    call: Callable[[], CheckResult],
) -> CheckResult:
    """`call()`'s result; any exception it raises becomes a `check.crashed` ERROR result.

    Args:
        check_id: "kind.name" of the check, for the result's `kind` and `check`.
        subject: what the check was measuring (a domain, an environment).
        environment: the run's environment, or None.
        clock: stamps `started_at` of a crash result.
        call: runs the check.
    """
    started_at, t0 = clock(), time.monotonic()
    try:
        return call()
    except Exception as exc:
        return error_result(
            check_id,
            subject,
            environment,
            started_at=started_at,
            duration_s=time.monotonic() - t0,
            finding=Finding(
                code=CRASHED,
                severity=Severity.CRITICAL,
                message=f"the check {check_id} crashed: {type(exc).__name__}: {exc}",
                unmeasurable=True,
            ),
            evidence={"traceback": traceback.format_exc()},
        )
