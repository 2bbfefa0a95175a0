"""Tables of DMARC aggregate and SMTP TLS reports (migrations `0009_dmarc_reports`, and
`0010_report_begin` for the indexes on `begin` and `end`, `0013_dmarc_sources`).

    report_inputs      every input read (a file, a mail): its hash, size, where it came from,
                       and its outcome (stored, duplicate, rejected with a code and reason)
    dmarc_reports      one aggregate report, unique on (org_name, report_id, domain, begin,
                       end): ids repeat across reporters and ranges
    dmarc_records      its records: source IP and reverse name, count, disposition, the
                       evaluated and raw SPF/DKIM results with their domains, identifiers
    dmarc_sources      one row per (domain, source IP): the days reports first and last named it
    tls_reports        one policy domain of one TLS-RPT report, unique the same way
    tls_failures       its failure details by result type

Portable types only, as in `models.py`; reverse names are stored (they were true when the
report came in), groups are not (they follow the configured senders).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from monitor.storage.models import Base

__all__ = ["DmarcRecordRow", "DmarcReportRow", "ReportInputRow", "TlsFailureRow", "TlsReportRow"]


class ReportInputRow(Base):
    """One input read: what it was and what became of it."""

    __tablename__ = "report_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(500))  # file:NAME | imap:ENV:UID
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # stored | duplicate | rejected
    code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    reports: Mapped[int] = mapped_column(Integer)
    parser: Mapped[str] = mapped_column(String(64))


class DmarcReportRow(Base):
    """One aggregate report."""

    __tablename__ = "dmarc_reports"
    __table_args__ = (
        UniqueConstraint("org_name", "report_id", "domain", "begin", "end"),
        Index("ix_dmarc_reports_domain_begin", "domain", "begin"),
        Index("ix_dmarc_reports_begin", "begin"),
        Index("ix_dmarc_reports_end", "end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    input_id: Mapped[int] = mapped_column(ForeignKey("report_inputs.id"), index=True)
    org_name: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(253))
    begin: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    email: Mapped[str | None] = mapped_column(String(255))
    policy: Mapped[dict[str, Any]]
    schema: Mapped[str] = mapped_column(String(16))
    messages: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[dt.datetime]


class DmarcRecordRow(Base):
    """One record of an aggregate report."""

    __tablename__ = "dmarc_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report: Mapped[int] = mapped_column(ForeignKey("dmarc_reports.id"), index=True)
    source_ip: Mapped[str] = mapped_column(String(45))
    source_name: Mapped[str | None] = mapped_column(String(255))
    count: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[str] = mapped_column(String(16))
    dkim_aligned: Mapped[bool] = mapped_column(Boolean)
    spf_aligned: Mapped[bool] = mapped_column(Boolean)
    dkim_domain: Mapped[str | None] = mapped_column(String(253))
    dkim_selector: Mapped[str | None] = mapped_column(String(255))
    dkim_result: Mapped[str | None] = mapped_column(String(16))
    spf_domain: Mapped[str | None] = mapped_column(String(253))
    spf_scope: Mapped[str | None] = mapped_column(String(8))
    spf_result: Mapped[str | None] = mapped_column(String(16))
    header_from: Mapped[str] = mapped_column(String(253))
    envelope_from: Mapped[str | None] = mapped_column(String(253))
    envelope_to: Mapped[str | None] = mapped_column(String(253))
    auth: Mapped[list[Any]]  # every DKIM and SPF result as reported
    reasons: Mapped[list[Any]]  # policy override reason types


class DmarcSourceRow(Base):
    """One source IP that sent as one domain: the UTC day of the first and of the latest
    report that named it. Upserted with each report, so telling a new source from a known
    one is one key lookup per source instead of reading weeks of records. Kept small: a
    year of spoofing can leave hundreds of thousands of rows, so SQLite stores them in the
    primary key itself (no rowid, no second index) and days, not timestamps."""

    __tablename__ = "dmarc_sources"
    __table_args__ = ({"sqlite_with_rowid": False},)

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    source_ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)


class TlsReportRow(Base):
    """One policy domain of one SMTP TLS report."""

    __tablename__ = "tls_reports"
    __table_args__ = (
        UniqueConstraint("org_name", "report_id", "domain", "begin", "end"),
        Index("ix_tls_reports_domain_begin", "domain", "begin"),
        Index("ix_tls_reports_begin", "begin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    input_id: Mapped[int] = mapped_column(ForeignKey("report_inputs.id"), index=True)
    org_name: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(253))
    begin: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    policy_type: Mapped[str] = mapped_column(String(32))
    successful: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    contact: Mapped[str | None] = mapped_column(String(255))
    ingested_at: Mapped[dt.datetime]


class TlsFailureRow(Base):
    """One failure detail of a TLS report's policy."""

    __tablename__ = "tls_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tls_report: Mapped[int] = mapped_column(ForeignKey("tls_reports.id"), index=True)
    result_type: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    sending_mta_ip: Mapped[str | None] = mapped_column(String(45))
    receiving_mx_hostname: Mapped[str | None] = mapped_column(String(255))
    receiving_ip: Mapped[str | None] = mapped_column(String(45))
    reason_code: Mapped[str | None] = mapped_column(String(255))
