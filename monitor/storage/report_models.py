"""Tables that serve the weekly report: per-day rollups and the report sends.

`result_days` holds, per UTC day and (check, subject, environment), how many results were
stored and how they came out, and for canaries how each authentication method fared. It is
written in the same transaction as the results (monitor.storage.rollups), so it is complete
however many repeated raw rows retention later thins: a year of per-day pass rates costs a
few hundred thousand small rows instead of millions of stored results. `environment` is ''
for results without one, because a unique index treats NULLs as distinct on every backend.

`report_sends` holds one row per (week, channel): the unique index is what makes a weekly
report sent twice (a re-run, a second replica, the CLI after the daemon) delivered once.
Migration `0006_report_rollups` creates both.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from monitor.storage.models import Base

__all__ = ["COUNTERS", "ReportSendRow", "ResultDayRow"]

COUNTERS = (
    "runs",
    "passed",
    "warned",
    "failed",
    "errored",
    "judged",
    "spf_pass",
    "dkim_pass",
    "dmarc_pass",
    "aligned",
    "tls",
)
"""The rollup's counters. `judged` counts canaries the receiver gave verdicts for (the
denominator of the per-method rates); `aligned` counts those whose SPF or DKIM domain was
aligned with the From domain; `tls` those that arrived over TLS."""


class ResultDayRow(Base):
    """One day of one key's results, counted."""

    __tablename__ = "result_days"
    __table_args__ = (
        # day before check: a week of a key, all checks, is one range (0012_result_days_by_day)
        Index("ix_result_days_key_by_day", "subject", "environment", "day", "check", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    check: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(253))
    environment: Mapped[str] = mapped_column(String(64))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    warned: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errored: Mapped[int] = mapped_column(Integer, default=0)
    judged: Mapped[int] = mapped_column(Integer, default=0)
    spf_pass: Mapped[int] = mapped_column(Integer, default=0)
    dkim_pass: Mapped[int] = mapped_column(Integer, default=0)
    dmarc_pass: Mapped[int] = mapped_column(Integer, default=0)
    aligned: Mapped[int] = mapped_column(Integer, default=0)
    tls: Mapped[int] = mapped_column(Integer, default=0)


class ReportSendRow(Base):
    """A weekly report queued for one channel: at most one per (week, channel)."""

    __tablename__ = "report_sends"
    __table_args__ = (Index("ix_report_sends_week_channel", "week", "channel", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week, "2026-W47"
    channel: Mapped[str] = mapped_column(String(64))
    notification_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
