"""Replicas on one database: replica heartbeats, claimed job ticks, DNS cycle batches; and
the constraint that keeps a key's first (automatic) baseline single under concurrency.

Written by hand to match monitor/storage/fleet_models.py and the new indexes of models.py.
A branch of its own on the core schema. Its twin on the alerts branch, 0008_alerts_once,
keeps first and resolved notifications single (`notifications` belongs to 0002_alerts).

Rows that would break the new unique indexes (written by replicas racing before this
revision existed) are kept, not deleted: a later automatic baseline of a key loses its
`automatic` flag (it stays in the history).

Revision ID: 0008_replicas
Revises: 0001_core
Create Date: 2025-01-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_replicas"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_FIRST_ENV = "automatic AND environment IS NOT NULL"
_FIRST_NOENV = "automatic AND environment IS NULL"


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(120), nullable=False),
        sa.Column("hostname", sa.String(253), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("heartbeat_at", _TZ, nullable=False),
        sa.Column("stopped_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_replicas"),
    )
    op.create_table(
        "job_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(120), nullable=False),
        sa.Column("fire_time", _TZ, nullable=False),
        sa.Column("replica", sa.String(120), nullable=False),
        sa.Column("claimed_at", _TZ, nullable=False),
        sa.Column("heartbeat_at", _TZ, nullable=False),
        sa.Column("lease_until", _TZ, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_job_ticks_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_job_ticks"),
    )
    op.create_index("uq_job_ticks_job_fire_time", "job_ticks", ["job", "fire_time"], unique=True)
    op.create_index("ix_job_ticks_finished_lease", "job_ticks", ["finished_at", "lease_until"])
    op.create_table(
        "cycle_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tick_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("replica", sa.String(120), nullable=True),
        sa.Column("claimed_at", _TZ, nullable=True),
        sa.Column("lease_until", _TZ, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["tick_id"], ["job_ticks.id"], name="fk_cycle_batches_tick_id_job_ticks"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_cycle_batches_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_cycle_batches"),
    )
    op.create_index("uq_cycle_batches_tick_seq", "cycle_batches", ["tick_id", "seq"], unique=True)
    op.create_index("ix_cycle_batches_tick_state", "cycle_batches", ["tick_id", "state"])
    _single_first_baselines()


def _single_first_baselines() -> None:
    """Keep the oldest automatic baseline of each key automatic; then the unique indexes."""
    op.execute(
        "UPDATE baselines SET automatic = false WHERE automatic AND id NOT IN ("
        " SELECT min(id) FROM baselines WHERE automatic"
        " GROUP BY \"check\", subject, coalesce(environment, ''))"
    )
    op.create_index(
        "uq_baselines_first_env",
        "baselines",
        ["check", "subject", "environment"],
        unique=True,
        sqlite_where=sa.text(_FIRST_ENV),
        postgresql_where=sa.text(_FIRST_ENV),
    )
    op.create_index(
        "uq_baselines_first_noenv",
        "baselines",
        ["check", "subject"],
        unique=True,
        sqlite_where=sa.text(_FIRST_NOENV),
        postgresql_where=sa.text(_FIRST_NOENV),
    )


def downgrade() -> None:
    op.drop_index("uq_baselines_first_noenv", table_name="baselines")
    op.drop_index("uq_baselines_first_env", table_name="baselines")
    op.drop_index("ix_cycle_batches_tick_state", table_name="cycle_batches")
    op.drop_index("uq_cycle_batches_tick_seq", table_name="cycle_batches")
    op.drop_table("cycle_batches")
    op.drop_index("ix_job_ticks_finished_lease", table_name="job_ticks")
    op.drop_index("uq_job_ticks_job_fire_time", table_name="job_ticks")
    op.drop_table("job_ticks")
    op.drop_table("replicas")
