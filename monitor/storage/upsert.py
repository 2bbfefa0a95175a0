"""The dialect's INSERT, which knows `ON CONFLICT` (SQLite and PostgreSQL both do, each
through its own SQLAlchemy construct): one place that picks it for the storage modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["dialect_insert"]


def dialect_insert(session: Session) -> Any:
    """`insert` of the session's backend, with `on_conflict_do_update` / `_do_nothing`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
