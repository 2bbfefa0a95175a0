"""DMARC aggregate and SMTP TLS reports: inputs, reports, records, TLS policies and failures.

Written by hand to match monitor/storage/dmarc_reports_models.py column for column. A branch
of its own on the core schema (the upgrade goes to "heads").

Revision ID: 0009_dmarc_reports
Revises: 0001_core
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_dmarc_reports"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "report_inputs",
        _id(),
        sa.Column("origin", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", _TZ, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("parser", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_inputs"),
    )
    op.create_index("ix_report_inputs_sha256", "report_inputs", ["sha256"])
    _dmarc()
    _tls()


def _dmarc() -> None:
    op.create_table(
        "dmarc_reports",
        _id(),
        sa.Column("input_id", sa.Integer(), nullable=False),
        sa.Column("org_name", sa.String(200), nullable=False),
        sa.Column("report_id", sa.String(200), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("begin", _TZ, nullable=False),
        sa.Column("end", _TZ, nullable=False),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("schema", sa.String(16), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("ingested_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["input_id"], ["report_inputs.id"], name="fk_dmarc_reports_input_id_report_inputs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dmarc_reports"),
        sa.UniqueConstraint(
            "org_name", "report_id", "domain", "begin", "end", name="uq_dmarc_reports_org_name"
        ),
    )
    op.create_index("ix_dmarc_reports_input_id", "dmarc_reports", ["input_id"])
    op.create_index("ix_dmarc_reports_domain_begin", "dmarc_reports", ["domain", "begin"])
    op.create_table(
        "dmarc_records",
        _id(),
        sa.Column("report", sa.Integer(), nullable=False),
        sa.Column("source_ip", sa.String(45), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("dkim_aligned", sa.Boolean(), nullable=False),
        sa.Column("spf_aligned", sa.Boolean(), nullable=False),
        sa.Column("dkim_domain", sa.String(253), nullable=True),
        sa.Column("dkim_selector", sa.String(255), nullable=True),
        sa.Column("dkim_result", sa.String(16), nullable=True),
        sa.Column("spf_domain", sa.String(253), nullable=True),
        sa.Column("spf_scope", sa.String(8), nullable=True),
        sa.Column("spf_result", sa.String(16), nullable=True),
        sa.Column("header_from", sa.String(253), nullable=False),
        sa.Column("envelope_from", sa.String(253), nullable=True),
        sa.Column("envelope_to", sa.String(253), nullable=True),
        sa.Column("auth", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report"], ["dmarc_reports.id"], name="fk_dmarc_records_report_dmarc_reports"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dmarc_records"),
    )
    op.create_index("ix_dmarc_records_report", "dmarc_records", ["report"])


def _tls() -> None:
    op.create_table(
        "tls_reports",
        _id(),
        sa.Column("input_id", sa.Integer(), nullable=False),
        sa.Column("org_name", sa.String(200), nullable=False),
        sa.Column("report_id", sa.String(200), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("begin", _TZ, nullable=False),
        sa.Column("end", _TZ, nullable=False),
        sa.Column("policy_type", sa.String(32), nullable=False),
        sa.Column("successful", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(255), nullable=True),
        sa.Column("ingested_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["input_id"], ["report_inputs.id"], name="fk_tls_reports_input_id_report_inputs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tls_reports"),
        sa.UniqueConstraint(
            "org_name", "report_id", "domain", "begin", "end", name="uq_tls_reports_org_name"
        ),
    )
    op.create_index("ix_tls_reports_input_id", "tls_reports", ["input_id"])
    op.create_index("ix_tls_reports_domain_begin", "tls_reports", ["domain", "begin"])
    op.create_table(
        "tls_failures",
        _id(),
        sa.Column("tls_report", sa.Integer(), nullable=False),
        sa.Column("result_type", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sending_mta_ip", sa.String(45), nullable=True),
        sa.Column("receiving_mx_hostname", sa.String(255), nullable=True),
        sa.Column("receiving_ip", sa.String(45), nullable=True),
        sa.Column("reason_code", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["tls_report"], ["tls_reports.id"], name="fk_tls_failures_tls_report_tls_reports"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tls_failures"),
    )
    op.create_index("ix_tls_failures_tls_report", "tls_failures", ["tls_report"])


def downgrade() -> None:
    for table in ("tls_failures", "tls_reports", "dmarc_records", "dmarc_reports"):
        op.drop_table(table)
    op.drop_index("ix_report_inputs_sha256", table_name="report_inputs")
    op.drop_table("report_inputs")
