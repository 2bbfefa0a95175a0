"""dmarc_sources: per (domain, source IP), the UTC days reports first and last named it.

The weekly report marks a source `new` when it was never reported before the week. Asking
that of the records meant reading every distinct source of the weeks before (over 100,000
for 50 domains in 8 weeks) on each report; this table answers it with one key lookup per
source of the week. Filled from the stored records here, then kept by each ingest. On
SQLite the rows live in the primary key (WITHOUT ROWID): no second index.

Revision ID: 0013_dmarc_sources
Revises: 0010_report_begin
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_dmarc_sources"
down_revision = "0010_report_begin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dmarc_sources",
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("source_ip", sa.String(45), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("domain", "source_ip", name="pk_dmarc_sources"),
        sqlite_with_rowid=False,
    )
    # the UTC day of a stored timestamp: SQLite keeps UTC text, PostgreSQL a timestamptz
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(_FILL_POSTGRESQL if postgresql else _FILL_SQLITE)


_FILL_SQLITE = (
    "INSERT INTO dmarc_sources (domain, source_ip, first_day, last_day) "
    "SELECT p.domain, r.source_ip, date(min(p.begin)), date(max(p.begin)) "
    "FROM dmarc_records r JOIN dmarc_reports p ON p.id = r.report "
    "GROUP BY p.domain, r.source_ip"
)
_FILL_POSTGRESQL = (
    "INSERT INTO dmarc_sources (domain, source_ip, first_day, last_day) "
    "SELECT p.domain, r.source_ip, (min(p.begin) AT TIME ZONE 'UTC')::date, "
    "(max(p.begin) AT TIME ZONE 'UTC')::date "
    "FROM dmarc_records r JOIN dmarc_reports p ON p.id = r.report "
    "GROUP BY p.domain, r.source_ip"
)


def downgrade() -> None:
    op.drop_table("dmarc_sources")
