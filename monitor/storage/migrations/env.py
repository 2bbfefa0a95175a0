"""Alembic environment: runs on the connection `monitor.storage.migrate.upgrade` hands over.

There is no alembic.ini and no logging setup here: senderwatch drives Alembic from code, and
the caller owns the transaction. `render_as_batch` on SQLite makes future ALTERs work there
(SQLite rebuilds the table), so one migration serves both backends.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from monitor.storage.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Fallback for the `alembic` command line (developers writing a migration).
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or run migrations via senderwatch db upgrade")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use db upgrade")
_main()
