"""The overview the daemon serves at `/`: where every domain and environment stands now.

One read of the database: the newest result of each (check, domain, environment), the alerts
that are firing, silences in force, the last runs with their release tags. The daemon adds
its own jobs (next fire times), which only it knows. Pure data: `monitor.render.pages` draws it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from alerts.event import AlertRecord, AlertState
from alerts.routing import Silence
from checks.result import Finding, Severity, Status
from monitor.app import App
from monitor.storage.alerts_store import AlertRepository
from monitor.storage.results import ResultRepository
from monitor.storage.runs import RunLeases, RunRecord

__all__ = ["CheckCell", "Overview", "PostureRow", "overview"]

_STATUS_ORDER = {Status.ERROR: 3, Status.FAIL: 2, Status.WARN: 1, Status.PASS: 0}


@dataclasses.dataclass(frozen=True, slots=True)
class CheckCell:
    """One check's newest result, as one cell of a posture row."""

    check: str
    status: Status
    headline: str  # the most severe finding's message, or "" when nothing is notable
    measured_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class PostureRow:
    """A domain (or environment) in one environment (None: the domain itself)."""

    subject: str
    environment: str | None
    cells: tuple[CheckCell, ...]

    @property
    def status(self) -> Status:
        """The worst of its checks: the row's verdict."""
        return max((cell.status for cell in self.cells), key=_STATUS_ORDER.__getitem__)


@dataclasses.dataclass(frozen=True, slots=True)
class Overview:
    generated_at: dt.datetime
    posture: tuple[PostureRow, ...]
    firing: tuple[AlertRecord, ...]
    silences: tuple[Silence, ...]
    runs: tuple[RunRecord, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Rows per verdict, for the headline."""
        counts = {status.value: 0 for status in _STATUS_ORDER}
        for row in self.posture:
            counts[row.status.value] += 1
        return counts


def overview(app: App, *, runs: int = 15) -> Overview:
    """Posture, firing alerts, silences and the last `runs` runs, read in one transaction."""
    now = app.alerts_clock()
    with app.database.transaction() as session:
        latest = ResultRepository(session).latest_all()
        alerts = AlertRepository(session)
        firing = list(alerts.in_states([AlertState.FIRING]))
        silences = alerts.silences(now)
        recent = RunLeases(session).recent(runs)
    rows: dict[tuple[str, str | None], list[CheckCell]] = {}
    for stored in latest:
        result = stored.result
        cell = CheckCell(result.check, result.status, _headline(result.findings), result.started_at)
        rows.setdefault((result.subject, result.environment), []).append(cell)
    posture = tuple(
        PostureRow(subject, environment, tuple(cells))
        for (subject, environment), cells in sorted(rows.items(), key=_row_order)
    )
    firing.sort(key=lambda a: (-a.severity.rank, a.fired_at or a.first_seen_at))
    return Overview(now, posture, tuple(firing), tuple(silences), tuple(recent))


def _row_order(item: tuple[tuple[str, str | None], list[CheckCell]]) -> tuple[str, str, str]:
    (subject, environment), _ = item
    return (environment or "", subject, "")


def _headline(findings: Sequence[Finding]) -> str:
    notable = [f for f in findings if f.severity is not Severity.INFO or f.unmeasurable]
    if not notable:
        return ""
    return max(notable, key=lambda f: f.severity.rank).message
