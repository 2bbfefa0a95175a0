"""Canary messages: one row per sent canary (token, Message-ID, send time, release).

Written by hand to match monitor/storage/canary_models.py column for column. A branch of its
own on the core schema, like 0002_alerts (the upgrade goes to "heads").

Revision ID: 0003_canary
Revises: 0001_core
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_canary"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "canary_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("release", sa.String(200), nullable=True),
        sa.Column("sent_at", _TZ, nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("received_at", _TZ, nullable=True),
        sa.Column("detected_at", _TZ, nullable=True),
        sa.Column("acknowledged_at", _TZ, nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_canary_messages_run_id_runs"),
        sa.ForeignKeyConstraint(
            ["result_id"], ["results.id"], name="fk_canary_messages_result_id_results"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_canary_messages"),
    )
    op.create_index("ix_canary_messages_token", "canary_messages", ["token"], unique=True)
    op.create_index(
        "ix_canary_messages_environment_sent_at",
        "canary_messages",
        ["environment", "sent_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_canary_messages_environment_sent_at", table_name="canary_messages")
    op.drop_index("ix_canary_messages_token", table_name="canary_messages")
    op.drop_table("canary_messages")
