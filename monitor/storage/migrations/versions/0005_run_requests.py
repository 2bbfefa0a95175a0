"""Post-release run requests: the queue between the HTTP API and the daemon's runner.

Written by hand to match monitor/storage/run_requests.py column for column. A branch of its
own on the core schema, like 0002_alerts, 0003_canary and 0004_run_lease.

Revision ID: 0005_run_requests
Revises: 0001_core
Create Date: 2025-01-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_run_requests"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "run_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("release", sa.String(200), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", _TZ, nullable=False),
        sa.Column("started_at", _TZ, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_requests_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_run_requests"),
    )
    op.create_index(
        "ix_run_requests_idempotency_key", "run_requests", ["idempotency_key"], unique=True
    )
    op.create_index("ix_run_requests_state_id", "run_requests", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_run_requests_state_id", table_name="run_requests")
    op.drop_index("ix_run_requests_idempotency_key", table_name="run_requests")
    op.drop_table("run_requests")
