"""Indexes on the beginning of DMARC and TLS reports alone.

The weekly report and the report alerts ask for every report that begins in a period,
for all domains at once. The only index was (domain, begin), which such a question cannot
use, so the database scanned every stored record (a year of 50 domains is about a million)
to find one week's. With `begin` indexed it reads the period's reports, then their records
through the index on `dmarc_records.report`.

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
    op.create_index("ix_tls_reports_begin", "tls_reports", ["begin"])


def downgrade() -> None:
    op.drop_index("ix_tls_reports_begin", table_name="tls_reports")
    op.drop_index("ix_dmarc_reports_begin", table_name="dmarc_reports")
