"""The per-day rollups' unique index ordered (subject, environment, day, check).

The report sums a key's days over one week, for every check but a few. With the check
before the day in the index, such a question could seek only to the key and then read
every day of every check it ever stored (a year: some 3,600 rows per key, for each of the
report's hundred-odd sections and charts). With the day before the check it reads the
week's rows. Still unique over the same four columns, so the upsert that adds to a day's
row is unchanged.

Revision ID: 0012_result_days_by_day
Revises: 0006_report_rollups
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0012_result_days_by_day"
down_revision = "0006_report_rollups"
branch_labels = None
depends_on = None

_OLD = ("ix_result_days_key_day", ["subject", "environment", "check", "day"])
_NEW = ("ix_result_days_key_by_day", ["subject", "environment", "day", "check"])


def upgrade() -> None:
    op.create_index(_NEW[0], "result_days", _NEW[1], unique=True)
    op.drop_index(_OLD[0], table_name="result_days")


def downgrade() -> None:
    op.create_index(_OLD[0], "result_days", _OLD[1], unique=True)
    op.drop_index(_NEW[0], table_name="result_days")
