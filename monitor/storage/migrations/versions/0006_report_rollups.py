"""Weekly report storage: result hashes (repeats get thinned), per-day rollups, report sends.

Written by hand to match monitor/storage/models.py (`results.content_hash`) and
monitor/storage/report_models.py. A branch of its own on the core schema, like the others.
Adding a nullable column is a plain ALTER TABLE on SQLite and PostgreSQL alike; rows stored
before this revision keep a NULL hash and are never thinned. The drift index serves the
report's "what changed this week" (by subject and time).

Revision ID: 0006_report_rollups
Revises: 0001_core
Create Date: 2025-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_report_rollups"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_COUNTERS = (
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


def upgrade() -> None:
    op.add_column("results", sa.Column("content_hash", sa.String(32), nullable=True))
    op.create_table(
        "result_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("check", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(253), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTERS),
        sa.PrimaryKeyConstraint("id", name="pk_result_days"),
    )
    op.create_index(
        "ix_result_days_key_day",
        "result_days",
        ["subject", "environment", "check", "day"],
        unique=True,
    )
    op.create_table(
        "report_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("notification_id", sa.String(40), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_sends"),
    )
    op.create_index(
        "ix_report_sends_week_channel", "report_sends", ["week", "channel"], unique=True
    )
    op.create_index("ix_drifts_subject_detected_at", "drifts", ["subject", "detected_at"])


def downgrade() -> None:
    op.drop_index("ix_drifts_subject_detected_at", table_name="drifts")
    op.drop_index("ix_report_sends_week_channel", table_name="report_sends")
    op.drop_table("report_sends")
    op.drop_index("ix_result_days_key_day", table_name="result_days")
    op.drop_table("result_days")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("content_hash")
