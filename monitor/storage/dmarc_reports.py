"""Storing and reading DMARC aggregate and SMTP TLS reports (tables in dmarc_reports_models).

The same report read twice (a resend, the same mail in two folders, Google's double sends)
is stored once: the key is (org_name, report_id, domain, begin, end), held by a unique
constraint. `add_aggregate` looks first, and inserts inside a savepoint, so a replica that
stored the same report a moment earlier turns the insert into "duplicate", not an error.
Records go in as one executemany per report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, and_, case, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checks.reports.facts import (
    RecordFact,
    ReporterActivity,
    ReporterTotals,
    SourceTotals,
    TlsFact,
)
from checks.reports.model import AggregateReport, AuthResult, TlsReport
from monitor.storage.dmarc_reports_models import (
    DmarcRecordRow,
    DmarcReportRow,
    DmarcSourceRow,
    ReportInputRow,
    TlsFailureRow,
    TlsReportRow,
)
from monitor.storage.models import as_utc
from monitor.storage.upsert import dialect_insert

__all__ = [
    "InputOutcome",
    "RecordFact",
    "ReportStore",
    "ReporterActivity",
    "ReporterTotals",
    "SourceTotals",
    "TlsFact",
]  # facts re-exported


@dataclasses.dataclass(frozen=True, slots=True)
class InputOutcome:
    """What became of one input (one row of `report_inputs`)."""

    origin: str
    sha256: str
    size: int
    outcome: str  # stored | duplicate | rejected
    code: str | None = None
    reason: str | None = None
    reports: int = 0


class ReportStore:
    """Report rows inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing ---------------------------------------------------------------------------
    def add_input(self, outcome: InputOutcome, *, received_at: dt.datetime, parser: str) -> int:
        row = ReportInputRow(
            origin=outcome.origin[:500],
            sha256=outcome.sha256,
            size=outcome.size,
            received_at=received_at,
            outcome=outcome.outcome,
            code=outcome.code,
            reason=outcome.reason,
            reports=outcome.reports,
            parser=parser[:64],
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def set_input_outcome(self, input_id: int, outcome: str, reports: int) -> None:
        row = self.session.get(ReportInputRow, input_id)
        if row is not None:
            row.outcome, row.reports = outcome, reports

    def has_aggregate(self, report: AggregateReport) -> bool:
        org, rid, domain, begin, end = report.key
        found = self.session.scalar(
            select(DmarcReportRow.id).where(
                DmarcReportRow.org_name == org,
                DmarcReportRow.report_id == rid,
                DmarcReportRow.domain == domain,
                DmarcReportRow.begin == begin,
                DmarcReportRow.end == end,
            )
        )
        return found is not None

    def add_aggregate(
        self,
        report: AggregateReport,
        names: Mapping[str, str | None],
        *,
        input_id: int,
        now: dt.datetime,
    ) -> bool:
        """Store a report and its records; False when it was already stored."""
        if self.has_aggregate(report):
            return False
        try:
            with self.session.begin_nested():
                row = DmarcReportRow(
                    input_id=input_id,
                    org_name=report.org_name,
                    report_id=report.report_id,
                    domain=report.domain,
                    begin=report.begin,
                    end=report.end,
                    email=report.email,
                    policy=dict(report.policy),
                    schema=report.schema,
                    messages=report.messages,
                    records=len(report.records),
                    ingested_at=now,
                )
                self.session.add(row)
                self.session.flush()
                if report.records:
                    self.session.execute(
                        insert(DmarcRecordRow), _record_rows(row.id, report, names)
                    )
                    self._saw_sources(report)
        except IntegrityError:
            return False
        return True

    def _saw_sources(self, report: AggregateReport) -> None:
        """Widen each source's (first, latest) day to include this report's first day."""
        table = DmarcSourceRow.__table__
        stmt = dialect_insert(self.session)(table)
        day = as_utc(report.begin).date()
        stmt = stmt.on_conflict_do_update(
            index_elements=["domain", "source_ip"],
            set_={
                "first_day": case(
                    (stmt.excluded.first_day < table.c.first_day, stmt.excluded.first_day),
                    else_=table.c.first_day,
                ),
                "last_day": case(
                    (stmt.excluded.last_day > table.c.last_day, stmt.excluded.last_day),
                    else_=table.c.last_day,
                ),
            },
        )
        ips = sorted({record.source_ip for record in report.records})
        self.session.execute(
            stmt,
            [
                {
                    "domain": report.domain,
                    "source_ip": ip,
                    "first_day": day,
                    "last_day": day,
                }
                for ip in ips
            ],
        )

    def add_tls(self, report: TlsReport, *, input_id: int, now: dt.datetime) -> tuple[int, int]:
        """Store each policy of a TLS report; (stored, duplicates)."""
        stored = duplicates = 0
        for policy in report.policies:
            exists = self.session.scalar(
                select(TlsReportRow.id).where(
                    TlsReportRow.org_name == report.org_name,
                    TlsReportRow.report_id == report.report_id,
                    TlsReportRow.domain == policy.domain,
                    TlsReportRow.begin == report.begin,
                    TlsReportRow.end == report.end,
                )
            )
            if exists is not None:
                duplicates += 1
                continue
            row = TlsReportRow(
                input_id=input_id,
                org_name=report.org_name,
                report_id=report.report_id,
                domain=policy.domain,
                begin=report.begin,
                end=report.end,
                policy_type=policy.policy_type[:32],
                successful=policy.successful,
                failed=policy.failed,
                contact=report.contact,
                ingested_at=now,
            )
            self.session.add(row)
            self.session.flush()
            for failure in policy.failures:
                self.session.add(
                    TlsFailureRow(
                        tls_report=row.id,
                        result_type=failure.result_type[:64],
                        count=failure.count,
                        sending_mta_ip=(failure.sending_mta_ip or "")[:45] or None,
                        receiving_mx_hostname=failure.receiving_mx_hostname,
                        receiving_ip=(failure.receiving_ip or "")[:45] or None,
                        reason_code=failure.reason_code,
                    )
                )
            stored += 1
        return stored, duplicates

    # -- reading ---------------------------------------------------------------------------
    def records(
        self, start: dt.datetime, end: dt.datetime, domain: str | None = None
    ) -> list[RecordFact]:
        """Records of reports that begin in [start, end), oldest report first."""
        query = (
            select(
                DmarcReportRow.domain,
                DmarcReportRow.org_name,
                DmarcReportRow.begin,
                DmarcReportRow.end,
                DmarcRecordRow.source_ip,
                DmarcRecordRow.source_name,
                DmarcRecordRow.count,
                DmarcRecordRow.dkim_aligned,
                DmarcRecordRow.spf_aligned,
                DmarcRecordRow.disposition,
            )
            .join(DmarcRecordRow, DmarcRecordRow.report == DmarcReportRow.id)
            .where(DmarcRecordRow.report.in_(_reports_beginning(start, end, domain)))
            .order_by(DmarcReportRow.begin, DmarcReportRow.id, DmarcRecordRow.id)
        )
        return [RecordFact(**row._asdict()) for row in self.session.execute(query)]

    def source_totals(
        self, start: dt.datetime, end: dt.datetime, domain: str | None = None
    ) -> list[SourceTotals]:
        """Per (domain, source IP), the records of reports that begin in [start, end)
        summed: messages, and those that passed DMARC, aligned SPF, aligned DKIM. The
        reverse name is the IP's latest-sorting one (an IP keeps its name within a week)."""
        count = DmarcRecordRow.count
        passed = or_(DmarcRecordRow.dkim_aligned, DmarcRecordRow.spf_aligned)
        query = (
            select(
                DmarcReportRow.domain,
                DmarcRecordRow.source_ip,
                func.max(DmarcRecordRow.source_name),
                func.sum(count),
                func.sum(case((passed, count), else_=0)),
                func.sum(case((DmarcRecordRow.spf_aligned, count), else_=0)),
                func.sum(case((DmarcRecordRow.dkim_aligned, count), else_=0)),
            )
            .join(DmarcRecordRow, DmarcRecordRow.report == DmarcReportRow.id)
            .where(DmarcRecordRow.report.in_(_reports_beginning(start, end, domain)))
            .group_by(DmarcReportRow.domain, DmarcRecordRow.source_ip)
            .order_by(DmarcReportRow.domain, DmarcRecordRow.source_ip)
        )
        return [
            SourceTotals(d, ip, name, int(n), int(ok), int(spf), int(dkim))
            for d, ip, name, n, ok, spf, dkim in self.session.execute(query)
        ]

    def reporter_totals(
        self, start: dt.datetime, end: dt.datetime, domain: str | None = None
    ) -> list[ReporterTotals]:
        """Per (domain, reporter), its reports that begin in [start, end) and the messages
        their records count."""
        query = (
            select(
                DmarcReportRow.domain,
                DmarcReportRow.org_name,
                func.count(func.distinct(DmarcReportRow.id)),
                func.sum(DmarcRecordRow.count),
            )
            .join(DmarcRecordRow, DmarcRecordRow.report == DmarcReportRow.id)
            .where(DmarcRecordRow.report.in_(_reports_beginning(start, end, domain)))
            .group_by(DmarcReportRow.domain, DmarcReportRow.org_name)
            .order_by(DmarcReportRow.domain, DmarcReportRow.org_name)
        )
        return [
            ReporterTotals(d, org, int(reports), int(messages or 0))
            for d, org, reports, messages in self.session.execute(query)
        ]

    def seen_before(
        self, start: dt.datetime, end: dt.datetime, domain: str | None = None
    ) -> set[tuple[str, str]]:
        """The (domain, source IP) pairs of reports that begin in [start, end) that a report
        beginning on a UTC day before `start`'s named already (as long as reports are kept).
        Periods begin at midnight UTC, where that is the same as "before `start`"."""
        period = (
            select(DmarcReportRow.domain, DmarcRecordRow.source_ip)
            .join(DmarcReportRow, DmarcRecordRow.report == DmarcReportRow.id)
            .where(DmarcRecordRow.report.in_(_reports_beginning(start, end, domain)))
            .distinct()
            .subquery()
        )
        query = (
            select(DmarcSourceRow.domain, DmarcSourceRow.source_ip)
            .join(
                period,
                and_(
                    DmarcSourceRow.domain == period.c.domain,
                    DmarcSourceRow.source_ip == period.c.source_ip,
                ),
            )
            .where(DmarcSourceRow.first_day < as_utc(start).date())
        )
        return {(d, ip) for d, ip in self.session.execute(query)}

    def reporters(self, since: dt.datetime) -> list[ReporterActivity]:
        """Per (domain, reporter): the end of its latest report and its messages since."""
        query = (
            select(
                DmarcReportRow.domain,
                DmarcReportRow.org_name,
                func.max(DmarcReportRow.end),
                func.sum(DmarcReportRow.messages),
            )
            # as a subquery, so SQLite walks the `end` index instead of every report
            .where(
                DmarcReportRow.id.in_(select(DmarcReportRow.id).where(DmarcReportRow.end >= since))
            )
            .group_by(DmarcReportRow.domain, DmarcReportRow.org_name)
            .order_by(DmarcReportRow.domain, DmarcReportRow.org_name)
        )
        return [
            ReporterActivity(domain, org, as_utc(last), int(messages or 0))
            for domain, org, last, messages in self.session.execute(query)
        ]

    def tls(self, start: dt.datetime, end: dt.datetime, domain: str | None = None) -> list[TlsFact]:
        """TLS policies of reports beginning in [start, end): one totals row each (result
        type None), then one row per failure type."""
        base = select(TlsReportRow).where(TlsReportRow.begin >= start, TlsReportRow.begin < end)
        if domain is not None:
            base = base.where(TlsReportRow.domain == domain)
        facts: list[TlsFact] = []
        rows = list(self.session.scalars(base.order_by(TlsReportRow.begin, TlsReportRow.id)))
        failures: dict[int, list[TlsFailureRow]] = {}
        if rows:
            for failure in self.session.scalars(
                select(TlsFailureRow).where(TlsFailureRow.tls_report.in_([r.id for r in rows]))
            ):
                failures.setdefault(failure.tls_report, []).append(failure)
        for row in rows:
            facts.append(
                TlsFact(row.domain, row.org_name, row.begin, row.successful, row.failed, None, 0)
            )
            facts.extend(
                TlsFact(row.domain, row.org_name, row.begin, 0, 0, f.result_type, f.count)
                for f in failures.get(row.id, [])
            )
        return facts

    def input_counts(self, since: dt.datetime) -> dict[tuple[str, str | None], int]:
        """(outcome, code) → inputs received since."""
        query = (
            select(ReportInputRow.outcome, ReportInputRow.code, func.count())
            .where(ReportInputRow.received_at >= since)
            .group_by(ReportInputRow.outcome, ReportInputRow.code)
        )
        return {(outcome, code): int(n) for outcome, code, n in self.session.execute(query)}


def _reports_beginning(start: dt.datetime, end: dt.datetime, domain: str | None) -> Select[Any]:
    """Ids of the reports that begin in [start, end) (of one domain, or all). Asked as a
    subquery so that the database walks the `begin` index to the period's reports and then
    their records; joined plainly, SQLite chose to scan every stored record instead."""
    query = select(DmarcReportRow.id).where(
        DmarcReportRow.begin >= start, DmarcReportRow.begin < end
    )
    return query if domain is None else query.where(DmarcReportRow.domain == domain)


def _record_rows(
    report_row: int, report: AggregateReport, names: Mapping[str, str | None]
) -> list[dict[str, object]]:
    rows = []
    for record in report.records:
        dkim, spf = record.first("dkim"), record.first("spf")
        rows.append(
            {
                "report": report_row,
                "source_ip": record.source_ip[:45],
                "source_name": (names.get(record.source_ip) or "")[:255] or None,
                "count": record.count,
                "disposition": record.disposition[:16],
                "dkim_aligned": record.dkim_aligned,
                "spf_aligned": record.spf_aligned,
                "dkim_domain": dkim.domain[:253] if dkim else None,
                "dkim_selector": dkim.selector if dkim else None,
                "dkim_result": dkim.result[:16] if dkim else None,
                "spf_domain": spf.domain[:253] if spf else None,
                "spf_scope": (spf.scope or "")[:8] or None if spf else None,
                "spf_result": spf.result[:16] if spf else None,
                "header_from": record.header_from[:253],
                "envelope_from": (record.envelope_from or "")[:253] or None,
                "envelope_to": (record.envelope_to or "")[:253] or None,
                "auth": [_auth(a) for a in record.auth],
                "reasons": list(record.override_reasons),
            }
        )
    return rows


def _auth(result: AuthResult) -> dict[str, str]:
    out = {"method": result.method, "domain": result.domain, "result": result.result}
    if result.selector is not None:
        out["selector"] = result.selector
    if result.scope is not None:
        out["scope"] = result.scope
    return out
