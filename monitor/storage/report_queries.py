"""The weekly report's SQL: counts and rates aggregated in the database, over indexed ranges.

Each function answers one question for one section (a domain, or an environment and its
domain) and one time range, and returns plain tuples and dicts. Counting happens in SQL
(`result_days` sums, grouped by day); only the canary latencies of one environment and one
week (about 170 numbers an hour's schedule) come back as rows, for percentiles in Python:
portable percentiles do not exist across SQLite and PostgreSQL.

Indexes used: `ix_results_subject_check_time` (latest result of a key before a time, canary
failures), `ix_result_days_key_by_day`, `ix_canary_messages_environment_sent_at`,
`ix_drifts_subject_detected_at`, `ix_baselines_key`; alert tables are one row per problem.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from checks.result import CheckResult, Status
from monitor.storage.alerts_models import AlertStateRow, SilenceRow
from monitor.storage.canary_models import CanaryMessageRow
from monitor.storage.models import BaselineRow, DriftRow, ResultRow
from monitor.storage.report_models import COUNTERS, ResultDayRow
from monitor.storage.results import result_from_row

__all__ = [
    "Key",
    "alert_rows",
    "approvals",
    "baseline_observations",
    "canary_failures",
    "canary_latencies",
    "canary_releases",
    "day_totals",
    "drifts",
    "latest_before",
    "newest_before",
    "silences_at",
]

Key = tuple[str, str | None]  # (subject, environment)


@dataclasses.dataclass(frozen=True, slots=True)
class LatestResult:
    id: int
    started_at: dt.datetime
    result: CheckResult


def _env_is(column: Any, environment: str | None) -> Any:
    return column.is_(None) if environment is None else column == environment


def latest_before(
    session: Session, keys: Collection[Key], checks: Collection[str], end: dt.datetime
) -> dict[tuple[str, str, str | None], LatestResult]:
    """The newest non-error result of each of `checks` for each of `keys`, started before
    `end`. One query per key; per check in it, a backward walk of
    `ix_results_subject_check_time` from `end` that stops at the first non-error row.
    (Grouping the key's rows for their highest id instead read every row of the year
    before `end`: canary and relay results, all distinct, are 8,760 a year per key.)"""
    out = {}
    for subject, environment in keys:
        newest = [
            select(ResultRow.id)
            .where(
                ResultRow.check == check,
                ResultRow.subject == subject,
                _env_is(ResultRow.environment, environment),
                ResultRow.started_at < end,
                ResultRow.status != Status.ERROR.value,
            )
            .order_by(ResultRow.started_at.desc(), ResultRow.id.desc())
            .limit(1)
            .scalar_subquery()
            for check in sorted(checks)
        ]
        for row in session.scalars(select(ResultRow).where(ResultRow.id.in_(newest))):
            out[(row.check, row.subject, row.environment)] = LatestResult(
                row.id, row.started_at, result_from_row(row)
            )
    return out


def day_totals(
    session: Session,
    keys: Collection[Key],
    checks: Collection[str] | None,
    start: dt.date,
    end: dt.date,
    *,
    exclude: Collection[str] = (),
) -> dict[dt.date, dict[str, int]]:
    """The rollup counters summed per day over `keys` (and `checks`), days in [start, end)."""
    if not keys:
        return {}
    where = [
        or_(
            *(
                and_(ResultDayRow.subject == s, ResultDayRow.environment == (e or ""))
                for s, e in keys
            )
        ),
        ResultDayRow.day >= start,
        ResultDayRow.day < end,
    ]
    if checks is not None:
        where.append(ResultDayRow.check.in_(checks))
    if exclude:
        where.append(ResultDayRow.check.not_in(exclude))
    sums = [func.sum(getattr(ResultDayRow, name)).label(name) for name in COUNTERS]
    rows = session.execute(
        select(ResultDayRow.day, *sums).where(*where).group_by(ResultDayRow.day)
    ).all()
    return {row.day: {name: int(getattr(row, name) or 0) for name in COUNTERS} for row in rows}


def canary_latencies(
    session: Session, environment: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, float]]:
    """(sent_at, seconds to the receiver) of each delivered canary sent in [start, end).

    The receiver's Received time when it was read, else the time senderwatch found it.
    """
    rows = session.execute(
        select(CanaryMessageRow.sent_at, CanaryMessageRow.received_at, CanaryMessageRow.detected_at)
        .where(
            CanaryMessageRow.environment == environment,
            CanaryMessageRow.sent_at >= start,
            CanaryMessageRow.sent_at < end,
            CanaryMessageRow.delivered.is_(True),
        )
        .order_by(CanaryMessageRow.sent_at)
    ).all()
    out = []
    for sent, received, detected in rows:
        arrived = received or detected
        if arrived is not None:
            out.append((sent, max(0.0, (arrived - sent).total_seconds())))
    return out


def canary_releases(
    session: Session, environment: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, int, int, dt.datetime]]:
    """(release, canaries sent, of them passed, first sent) for canaries tied to a release."""
    passed = func.sum(case((ResultRow.status == Status.PASS.value, 1), else_=0))
    rows = session.execute(
        select(
            CanaryMessageRow.release,
            func.count(CanaryMessageRow.id),
            passed,
            func.min(CanaryMessageRow.sent_at),
        )
        .outerjoin(ResultRow, ResultRow.id == CanaryMessageRow.result_id)
        .where(
            CanaryMessageRow.environment == environment,
            CanaryMessageRow.sent_at >= start,
            CanaryMessageRow.sent_at < end,
            CanaryMessageRow.release.is_not(None),
        )
        .group_by(CanaryMessageRow.release)
        .order_by(func.min(CanaryMessageRow.sent_at))
    ).all()
    return [(r[0], int(r[1]), int(r[2] or 0), r[3]) for r in rows]


def canary_failures(
    session: Session, environment: str, start: dt.datetime, end: dt.datetime, limit: int = 50
) -> list[tuple[dt.datetime, str, list[Any]]]:
    """(started_at, status, findings) of canaries that failed or errored in [start, end)."""
    rows = session.execute(
        select(ResultRow.started_at, ResultRow.status, ResultRow.findings)
        .where(
            ResultRow.check == "canary",
            ResultRow.subject == environment,
            ResultRow.environment == environment,
            ResultRow.started_at >= start,
            ResultRow.started_at < end,
            ResultRow.status.in_((Status.FAIL.value, Status.ERROR.value)),
        )
        .order_by(ResultRow.started_at)
        .limit(limit)
    ).all()
    return [(r[0], r[1], list(r[2] or ())) for r in rows]


def drifts(
    session: Session, keys: Collection[Key], start: dt.datetime, end: dt.datetime
) -> list[tuple[Any, ...]]:
    """Distinct drift in [start, end): (check, key, before, after, direction, severity,
    first detected, how many results showed it), first seen first."""
    if not keys:
        return []
    where = or_(*(and_(DriftRow.subject == s, _env_is(DriftRow.environment, e)) for s, e in keys))
    rows = session.execute(
        select(
            DriftRow.check,
            DriftRow.key,
            DriftRow.before,
            DriftRow.after,
            DriftRow.direction,
            DriftRow.severity,
            DriftRow.detected_at,
        )
        .where(where, DriftRow.detected_at >= start, DriftRow.detected_at < end)
        .order_by(DriftRow.detected_at, DriftRow.id)
    ).all()
    seen: dict[tuple[str, str, str, str], list[Any]] = {}
    for check, key, before, after, direction, severity, at in rows:
        b, a = (before or {}).get("value"), (after or {}).get("value")
        ident = (check, key, repr(b), repr(a))
        if ident in seen:
            seen[ident][7] += 1
        else:
            seen[ident] = [check, key, b, a, direction, severity, at, 1]
    return [tuple(v) for v in seen.values()]


def approvals(
    session: Session, keys: Collection[Key], start: dt.datetime, end: dt.datetime
) -> list[tuple[str, dt.datetime, str, str]]:
    """Baselines a person approved in [start, end): (check, when, who, why)."""
    if not keys:
        return []
    where = or_(
        *(and_(BaselineRow.subject == s, _env_is(BaselineRow.environment, e)) for s, e in keys)
    )
    rows = session.execute(
        select(
            BaselineRow.check, BaselineRow.approved_at, BaselineRow.approved_by, BaselineRow.reason
        )
        .where(
            where,
            BaselineRow.automatic.is_(False),
            BaselineRow.approved_at >= start,
            BaselineRow.approved_at < end,
        )
        .order_by(BaselineRow.approved_at)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def alert_rows(
    session: Session, scopes: Sequence[str], start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Alert states of `scopes` that fired or resolved in [start, end), or fire now: key,
    state, severity, summary, fired_at, resolved_at."""
    cols = (
        AlertStateRow.key,
        AlertStateRow.state,
        AlertStateRow.severity,
        AlertStateRow.summary,
        AlertStateRow.fired_at,
        AlertStateRow.resolved_at,
    )
    rows = session.execute(
        select(*cols)
        .where(
            AlertStateRow.scope.in_(scopes),
            or_(
                and_(AlertStateRow.fired_at >= start, AlertStateRow.fired_at < end),
                and_(AlertStateRow.resolved_at >= start, AlertStateRow.resolved_at < end),
                AlertStateRow.state == "firing",
            ),
        )
        .order_by(AlertStateRow.fired_at, AlertStateRow.id)
    ).all()
    return [dict(row._mapping) for row in rows]


def silences_at(
    session: Session, domain: str, environment: str | None, at: dt.datetime
) -> list[dict[str, Any]]:
    """Silences in force at `at` over this domain, this environment or one of their keys:
    match_key, match_domain, match_environment, reason, created_by, ends_at."""
    matches = [SilenceRow.match_domain == domain]
    if environment is not None:
        matches.append(SilenceRow.match_environment == environment)
    scopes = [domain] + ([environment] if environment else [])
    matches += [SilenceRow.match_key.like(f"{scope}/%") for scope in scopes]
    rows = session.execute(
        select(
            SilenceRow.match_key,
            SilenceRow.match_domain,
            SilenceRow.match_environment,
            SilenceRow.reason,
            SilenceRow.created_by,
            SilenceRow.ends_at,
        )
        .where(
            or_(*matches),
            SilenceRow.starts_at <= at,
            SilenceRow.ends_at > at,
            or_(SilenceRow.cancelled_at.is_(None), SilenceRow.cancelled_at > at),
        )
        .order_by(SilenceRow.ends_at)
    ).all()
    return [dict(row._mapping) for row in rows]


def newest_before(
    session: Session, keys: Collection[Key], check: str, end: dt.datetime
) -> dict[Key, LatestResult]:
    """The newest result of `check` for each of `keys` started before `end`, whatever its
    status: a blocklists result that could not ask one list (status error) still holds what
    the other lists and reverse DNS said. A seek per key on `ix_results_subject_check_time`."""
    out = {}
    for subject, environment in keys:
        row = session.scalars(
            select(ResultRow)
            .where(
                ResultRow.check == check,
                ResultRow.subject == subject,
                _env_is(ResultRow.environment, environment),
                ResultRow.started_at < end,
            )
            .order_by(ResultRow.started_at.desc(), ResultRow.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            out[(subject, environment)] = LatestResult(row.id, row.started_at, result_from_row(row))
    return out


def baseline_observations(
    session: Session, check: str, key: Key, end: dt.datetime
) -> dict[str, Any] | None:
    """The observations of the baseline of (`check`, `key`) in force at `end` (the newest
    approved before it), or None when there was none. Uses `ix_baselines_key`."""
    subject, environment = key
    row = session.scalars(
        select(BaselineRow.observations)
        .where(
            BaselineRow.check == check,
            BaselineRow.subject == subject,
            _env_is(BaselineRow.environment, environment),
            BaselineRow.approved_at < end,
        )
        .order_by(BaselineRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(row)
