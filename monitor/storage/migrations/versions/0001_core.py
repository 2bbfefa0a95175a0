"""Core schema: runs, results, baselines, drifts.

Written by hand to match monitor/storage/models.py column for column (a test compares the
migrated database with the models on SQLite and PostgreSQL). Plain SQLAlchemy types only:
a migration must keep meaning the same thing when the models change later.

Revision ID: 0001_core
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("status", sa.String(8), nullable=True),
        sa.Column("release", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("check", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(253), nullable=False),
        sa.Column("environment", sa.String(64), nullable=True),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_results_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_results"),
    )
    op.create_index("ix_results_run_id", "results", ["run_id"])
    op.create_index(
        "ix_results_subject_check_time",
        "results",
        ["check", "subject", "environment", "started_at"],
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(253), nullable=False),
        sa.Column("environment", sa.String(64), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.Column("approved_at", _TZ, nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"], ["results.id"], name="fk_baselines_result_id_results"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_baselines"),
    )
    op.create_index("ix_baselines_key", "baselines", ["check", "subject", "environment", "id"])
    op.create_table(
        "drifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(253), nullable=False),
        sa.Column("environment", sa.String(64), nullable=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("detected_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"], ["baselines.id"], name="fk_drifts_baseline_id_baselines"
        ),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"], name="fk_drifts_result_id_results"),
        sa.PrimaryKeyConstraint("id", name="pk_drifts"),
    )
    op.create_index("ix_drifts_result_id", "drifts", ["result_id"])


def downgrade() -> None:
    op.drop_table("drifts")
    op.drop_table("baselines")
    op.drop_table("results")
    op.drop_table("runs")
