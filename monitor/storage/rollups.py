"""Per-day rollups of results (`result_days`), kept up to date as results are stored.

`add_days(session, results)` runs in the transaction that stores the results, so a day's
counts and its rows commit together. One upsert per (day, key) of the batch, with the
dialect's own `INSERT ... ON CONFLICT DO UPDATE` (SQLite and PostgreSQL share the syntax):
replicas that store results of the same key on the same day add to one row instead of one
of them failing on the unique index.

Days are UTC dates of the result's start. Canary results also count, among those the
receiver judged (a DMARC verdict was observed), the ones whose SPF, DKIM and DMARC passed,
whose SPF or DKIM domain was aligned, and that arrived over TLS.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from sqlalchemy.orm import Session

from checks.result import CheckResult, Status
from monitor.storage.report_models import COUNTERS, ResultDayRow
from monitor.storage.upsert import dialect_insert

__all__ = ["add_days", "day_counts"]

_STATUS = {
    Status.PASS: "passed",
    Status.WARN: "warned",
    Status.FAIL: "failed",
    Status.ERROR: "errored",
}
DayKey = tuple[dt.date, str, str, str]


def day_counts(result: CheckResult) -> Counter[str]:
    """What one result adds to its day's counters."""
    counts: Counter[str] = Counter(runs=1)
    counts[_STATUS[result.status]] += 1
    obs = result.observations
    if result.check == "canary" and "canary.dmarc" in obs:
        counts["judged"] += 1
        counts["spf_pass"] += obs.get("canary.spf") == "pass"
        counts["dkim_pass"] += obs.get("canary.dkim") == "pass"
        counts["dmarc_pass"] += obs.get("canary.dmarc") == "pass"
        counts["aligned"] += bool(obs.get("canary.spf_aligned") or obs.get("canary.dkim_aligned"))
        counts["tls"] += obs.get("canary.tls") is True
    return counts


def add_days(session: Session, results: Iterable[CheckResult]) -> None:
    """Add `results` to their days' counters (one upsert per day and key)."""
    totals: dict[DayKey, Counter[str]] = {}
    for result in results:
        key = (
            result.started_at.astimezone(dt.UTC).date(),
            result.check,
            result.subject,
            result.environment or "",
        )
        totals.setdefault(key, Counter()).update(day_counts(result))
    if not totals:
        return
    table = ResultDayRow.__table__
    stmt = dialect_insert(session)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject", "environment", "check", "day"],
        set_={name: table.c[name] + stmt.excluded[name] for name in COUNTERS},
    )
    rows = [
        {"day": day, "check": check, "subject": subject, "environment": environment}
        | {name: counts.get(name, 0) for name in COUNTERS}
        for (day, check, subject, environment), counts in sorted(totals.items())
    ]
    session.execute(stmt, rows)
