"""The migrated schema against the SQLAlchemy models: Alembic's autogenerate comparison, as
every storage module's "the hand-written migration creates exactly the model" test asks it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from monitor.storage import Database
from monitor.storage.models import Base

__all__ = ["schema_differences"]


def schema_differences(db: Database, tables: Collection[str] | None = None) -> list[Any]:
    """Differences (columns, types, nullability, indexes) between `db` as migrated and the
    models registered on `Base.metadata`, for `tables` (default: every table a model this
    process imported defines; feature branches may add tables whose models it has not)."""
    wanted = set(Base.metadata.tables if tables is None else tables)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                # both sides: tables in the database and tables of the models
                "include_object": lambda _obj, name, type_, _reflected, _other: (
                    type_ != "table" or name in wanted
                ),
            },
        )
        return list(compare_metadata(context, Base.metadata))
