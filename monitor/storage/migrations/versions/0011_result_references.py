"""Indexes on the columns that point at a result: `canary_messages.result_id` and
`baselines.result_id`.

Retention deletes old and repeated results every day, and for each deleted row the
database checks that nothing still points at it (SQLite with `foreign_keys=ON`,
PostgreSQL always). Without an index on the pointing column that check reads the whole
child table per deleted row: on a benchmark database three weeks old, deleting 2,000
results took 0.70 s without these indexes and 0.03 s with them, and the canary table
grows by some 45,000 rows a year at five environments. Retention's own "is this result
referenced" queries use them too.

Revision ID: 0011_result_references
Revises: 0003_canary
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0011_result_references"
down_revision = "0003_canary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_canary_messages_result_id", "canary_messages", ["result_id"])
    op.create_index("ix_baselines_result_id", "baselines", ["result_id"])


def downgrade() -> None:
    op.drop_index("ix_baselines_result_id", table_name="baselines")
    op.drop_index("ix_canary_messages_result_id", table_name="canary_messages")
