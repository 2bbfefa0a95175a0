"""Run leases: a run row carries `heartbeat_at` and `lease_until`, refreshed while it runs.

A run whose lease ran out without a `finished_at` died (killed, power cut, OOM); the next
command that opens the database marks it `interrupted`, which needs a longer `status`.
Unfinished runs from before this revision had no heartbeat: their lease is set to have
ended when they started, so the next command marks them too.

Written by hand to match monitor/storage/models.py. A branch of its own on the core schema,
like 0002_alerts and 0003_canary. On SQLite, changing `status`'s length rebuilds `runs`
(batch mode); monitor.storage.migrate runs migrations with foreign keys off for that.

Revision ID: 0004_run_lease
Revises: 0001_core
Create Date: 2025-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_run_lease"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(8), type_=sa.String(16), existing_nullable=True
        )
        batch.add_column(sa.Column("heartbeat_at", _TZ, nullable=True))
        batch.add_column(sa.Column("lease_until", _TZ, nullable=True))
        batch.create_index("ix_runs_lease_until", ["lease_until"])
    op.execute("UPDATE runs SET lease_until = started_at WHERE finished_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_lease_until")
        batch.drop_column("lease_until")
        batch.drop_column("heartbeat_at")
        batch.alter_column(
            "status", existing_type=sa.String(16), type_=sa.String(8), existing_nullable=True
        )
