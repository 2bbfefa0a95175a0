"""dmarc_sources: per (domain, source IP), when reports first and last named it.

The weekly report marks a source `new` when it was never reported before the week. Asking
that of the records meant reading every distinct source of the weeks before (over 100,000
for 50 domains in 8 weeks) on each report; this table answers it with one indexed lookup
per source of the week. Filled from the stored records here, then kept by each ingest.

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

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dmarc_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("source_ip", sa.String(45), nullable=False),
        sa.Column("first_begin", _TZ, nullable=False),
        sa.Column("last_begin", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dmarc_sources"),
    )
    op.create_index(
        "ix_dmarc_sources_domain_ip", "dmarc_sources", ["domain", "source_ip"], unique=True
    )
    op.execute(
        "INSERT INTO dmarc_sources (domain, source_ip, first_begin, last_begin) "
        "SELECT p.domain, r.source_ip, min(p.begin), max(p.begin) "
        "FROM dmarc_records r JOIN dmarc_reports p ON p.id = r.report "
        "GROUP BY p.domain, r.source_ip"
    )


def downgrade() -> None:
    op.drop_index("ix_dmarc_sources_domain_ip", table_name="dmarc_sources")
    op.drop_table("dmarc_sources")
