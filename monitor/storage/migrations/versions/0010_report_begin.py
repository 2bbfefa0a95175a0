"""Indexes on when DMARC and TLS reports begin, and when DMARC reports end.

The weekly report and the report alerts ask for every report that begins in a period,
for all domains at once. The only index was (domain, begin), which such a question cannot
use, so the database scanned every stored record (a year of 50 domains is about a million)
to find one week's. With `begin` indexed it reads the period's reports, then their records
through the index on `dmarc_records.report`. The "silent reporter" alert rule asks for
the reports that ended since a moment, likewise for all domains: `end` is indexed for it.

Revision ID: 0010_report_begin
Revises: 0009_dmarc_reports
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0010_report_begin"
down_revision = "0009_dmarc_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dmarc_reports_begin", "dmarc_reports", ["begin"])
    op.create_index("ix_dmarc_reports_end", "dmarc_reports", ["end"])
    op.create_index("ix_tls_reports_begin", "tls_reports", ["begin"])


def downgrade() -> None:
    op.drop_index("ix_tls_reports_begin", table_name="tls_reports")
    op.drop_index("ix_dmarc_reports_end", table_name="dmarc_reports")
    op.drop_index("ix_dmarc_reports_begin", table_name="dmarc_reports")
