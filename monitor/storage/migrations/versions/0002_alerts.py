"""Alert lifecycle: alert_states, notifications (the outbox), silences, alert_acks.

Written by hand to match monitor/storage/alerts_models.py column for column.

Revision ID: 0002_alerts
Revises: 0001_core
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_alerts"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_KEY = sa.String(400)


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _KEY, nullable=False),
        sa.Column("scope", sa.String(253), nullable=False),
        sa.Column("check", sa.String(32), nullable=False),
        sa.Column("code", sa.String(120), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("sightings", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("first_seen_at", _TZ, nullable=False),
        sa.Column("last_seen_at", _TZ, nullable=False),
        sa.Column("fired_at", _TZ, nullable=True),
        sa.Column("resolved_at", _TZ, nullable=True),
        sa.Column("acked_episode", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_states"),
    )
    op.create_index("ix_alert_states_key", "alert_states", ["key"], unique=True)
    op.create_index("ix_alert_states_state", "alert_states", ["state"])
    op.create_index("ix_alert_states_scope_check", "alert_states", ["scope", "check"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("alert_key", _KEY, nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("next_attempt_at", _TZ, nullable=False),
        sa.Column("lease_until", _TZ, nullable=True),
        sa.Column("sent_at", _TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_log", "notifications", ["alert_key", "episode", "channel"])
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_key", _KEY, nullable=True),
        sa.Column("match_domain", sa.String(253), nullable=True),
        sa.Column("match_environment", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("starts_at", _TZ, nullable=False),
        sa.Column("ends_at", _TZ, nullable=False),
        sa.Column("cancelled_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
    )
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])
    op.create_table(
        "alert_acks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _KEY, nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("acked_at", _TZ, nullable=False),
        sa.Column("acked_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_acks"),
    )
    op.create_index("ix_alert_acks_key", "alert_acks", ["key", "episode"])


def downgrade() -> None:
    for index, table in (
        ("ix_alert_acks_key", "alert_acks"),
        ("ix_silences_ends_at", "silences"),
        ("ix_notifications_log", "notifications"),
        ("ix_notifications_due", "notifications"),
        ("ix_alert_states_scope_check", "alert_states"),
        ("ix_alert_states_state", "alert_states"),
        ("ix_alert_states_key", "alert_states"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("alert_acks", "silences", "notifications", "alert_states"):
        op.drop_table(table)
