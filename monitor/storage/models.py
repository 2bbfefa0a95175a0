"""SQLAlchemy 2.0 typed models for runs, results, baselines and drifts.

Portable by construction: generic types only (JSON, timezone-aware DateTime, String), no
SQLite pragmas in the schema, so the same models run on PostgreSQL for several replicas.
Times are stored as aware UTC. Schema changes go through Alembic (`migrations/`), never
`create_all` outside tests of the migrations themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "BaselineRow", "DriftRow", "ResultRow", "RunRow", "UtcDateTime", "as_utc"]


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime. SQLite keeps no zone, and aggregates
    (`max(...)`) bypass the column type there, so they come back naive: they are UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite drops tzinfo; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else as_utc(value)


# Named constraints: Alembic's batch mode (how SQLite alters tables) and PostgreSQL's
# `DROP CONSTRAINT` both need a name to address a constraint by, the same on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - read once by SQLAlchemy at class creation
        dt.datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class RunRow(Base):
    """One invocation: `senderwatch check`, a canary, a scheduled job.

    While it runs, its process renews `lease_until` (and `heartbeat_at`); a row whose lease
    ran out with no `finished_at` belonged to a process that died, and is marked
    `interrupted` by the next command that opens the database (monitor.storage.runs).
    """

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(32))  # cli | daemon | canary | ...
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str | None] = mapped_column(String(16))  # pass|warn|fail|error|interrupted
    release: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None] = mapped_column(index=True)

    results: Mapped[list[ResultRow]] = relationship(back_populates="run")


class ResultRow(Base):
    """One `CheckResult`, stored whole: findings, observations, evidence and versions."""

    __tablename__ = "results"
    __table_args__ = (
        Index("ix_results_subject_check_time", "check", "subject", "environment", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    check: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(253))
    environment: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime]
    duration_s: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(8))
    observations: Mapped[dict[str, Any]]
    findings: Mapped[list[Any]]
    evidence: Mapped[dict[str, Any]]
    versions: Mapped[dict[str, Any]]
    # What the result said (status, observations, findings, evidence, versions), hashed:
    # equal hashes of one key in a row are repeats, thinned by monitor.storage.retention.
    # NULL for rows stored before migration 0006 (never thinned).
    content_hash: Mapped[str | None] = mapped_column(String(32))

    run: Mapped[RunRow | None] = relationship(back_populates="results")


class BaselineRow(Base):
    """The approved state of one (check, subject, environment); one row per approval.

    The current baseline is the newest row. Keeping the history answers "who accepted
    `p=none`, and when, and why".
    """

    __tablename__ = "baselines"
    __table_args__ = (
        Index("ix_baselines_key", "check", "subject", "environment", "id"),
        # At most one automatic (first-result) baseline per key, NULL environment included
        # (a unique index treats NULLs as distinct, hence two partial indexes): two replicas
        # measuring a new key at once cannot both record its first baseline (0008_replicas).
        Index(
            "uq_baselines_first_env",
            "check",
            "subject",
            "environment",
            unique=True,
            sqlite_where=text("automatic AND environment IS NOT NULL"),
            postgresql_where=text("automatic AND environment IS NOT NULL"),
        ),
        Index(
            "uq_baselines_first_noenv",
            "check",
            "subject",
            unique=True,
            sqlite_where=text("automatic AND environment IS NULL"),
            postgresql_where=text("automatic AND environment IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(253))
    environment: Mapped[str | None] = mapped_column(String(64))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"), index=True)
    observations: Mapped[dict[str, Any]]
    approved_at: Mapped[dt.datetime]
    approved_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)


class DriftRow(Base):
    """One observation that moved away from the baseline, with before and after."""

    __tablename__ = "drifts"
    __table_args__ = (Index("ix_drifts_subject_detected_at", "subject", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("baselines.id"))
    check: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(253))
    environment: Mapped[str | None] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any]]  # {"value": ...}: JSON keeps the scalar's type
    after: Mapped[dict[str, Any]]
    direction: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[dt.datetime]
