"""One "first" and one "resolved" notification per alert episode and channel.

Replicas racing on one problem must never fire it twice: a partial unique index on
`notifications` (alert_key, episode, channel, reason) for those two reasons, matching
monitor/storage/alerts_models.py. On the alerts branch (the table is 0002_alerts'); the
replica tables are 0008_replicas'.

Rows that would break the index (replicas racing before it existed) are kept: a repeated
first or resolved message of one episode and channel is relabelled a "reminder" (it was a
repeat), so the notification log keeps every message it sent.

Revision ID: 0008_alerts_once
Revises: 0002_alerts
Create Date: 2025-01-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_alerts_once"
down_revision = "0002_alerts"
branch_labels = None
depends_on = None

_ONCE = "reason IN ('first', 'resolved')"


def upgrade() -> None:
    op.execute(
        "UPDATE notifications SET reason = 'reminder' WHERE reason IN ('first', 'resolved')"
        " AND EXISTS (SELECT 1 FROM notifications older"
        " WHERE older.alert_key = notifications.alert_key"
        " AND older.episode = notifications.episode"
        " AND older.channel = notifications.channel"
        " AND older.reason = notifications.reason"
        " AND (older.created_at < notifications.created_at"
        "  OR (older.created_at = notifications.created_at AND older.id < notifications.id)))"
    )
    op.create_index(
        "uq_notifications_once",
        "notifications",
        ["alert_key", "episode", "channel", "reason"],
        unique=True,
        sqlite_where=sa.text(_ONCE),
        postgresql_where=sa.text(_ONCE),
    )


def downgrade() -> None:
    op.drop_index("uq_notifications_once", table_name="notifications")
