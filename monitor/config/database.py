"""Is `database.url` usable here: a SQLAlchemy URL whose dialect and driver are installed?

A URL naming a dialect or driver that is not installed used to pass `config validate` and
fail on first use. It is caught at load now, without importing the driver (and, for the
URLs the documentation shows, without importing SQLAlchemy either: importing it costs more
than the rest of config validation together). Other URLs are resolved through SQLAlchemy's
own dialect registry, then the driver's module is looked up with `importlib.util.find_spec`,
which finds a module without running it.
"""

from __future__ import annotations

import importlib.util
import re
from urllib.parse import urlsplit

__all__ = ["check_database_url"]

_NAME = re.compile(r"^(?P<dialect>[A-Za-z0-9_]+)(?:\+(?P<driver>[A-Za-z0-9_]+))?://")

# (dialect, driver) → DBAPI module, for the URLs the documentation shows: no SQLAlchemy import.
_KNOWN: dict[tuple[str, str | None], str] = {
    ("sqlite", None): "sqlite3",
    ("sqlite", "pysqlite"): "sqlite3",
    ("postgresql", "psycopg"): "psycopg",
}

# SQLAlchemy driver name → the module its DBAPI is imported from, where they differ or are
# common; a driver missing here (a third-party dialect's) is trusted once its dialect loads.
_DBAPI_MODULES = {
    "pysqlite": "sqlite3",
    "aiosqlite": "aiosqlite",
    "psycopg": "psycopg",
    "psycopg2": "psycopg2",
    "psycopg2cffi": "psycopg2cffi",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "mysqldb": "MySQLdb",
    "pymysql": "pymysql",
    "mysqlconnector": "mysql.connector",
    "mariadbconnector": "mariadb",
    "asyncmy": "asyncmy",
    "aiomysql": "aiomysql",
    "oracledb": "oracledb",
    "cx_oracle": "cx_Oracle",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
}

_HINTS = {"psycopg": " (pip install 'senderwatch[postgres]')"}


def _shown(url: str) -> str:
    """The URL as it may be printed: any password replaced by ***."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return url.replace(f":{password}@", ":***@", 1) if password else url


def check_database_url(url: str) -> None:
    """Raise if `url` cannot open a database here.

    Raises:
        ValueError: not a `dialect[+driver]://...` URL, a dialect or driver SQLAlchemy does not
            know, or a driver whose Python module is not installed; the message never shows
            the password.
    """
    match = _NAME.match(url)
    if match is None:
        raise ValueError(f'not a SQLAlchemy database URL; got "{_shown(url)}"')
    dialect, driver = match["dialect"], match["driver"]
    module = _KNOWN.get((dialect, driver))
    if module is not None:
        try:
            urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise ValueError(f'not a usable database URL ({exc}); got "{_shown(url)}"') from None
    else:
        driver, module = _resolve_with_sqlalchemy(url)
    if module is not None and importlib.util.find_spec(module) is None:
        raise ValueError(
            f'the {driver} driver for {dialect} is not installed (no Python module "{module}")'
            f'{_HINTS.get(module, "")}; got "{_shown(url)}"'
        )


def _resolve_with_sqlalchemy(url: str) -> tuple[str, str | None]:
    """(driver name, its DBAPI module or None when unknown) through SQLAlchemy's registry."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f'not a usable database URL ({exc}); got "{_shown(url)}"') from None
    try:
        dialect_class = parsed.get_dialect()
    except NoSuchModuleError:
        name = parsed.drivername
        raise ValueError(
            f'SQLAlchemy has no dialect "{name}" installed (sqlite and postgresql+psycopg '
            f'are supported); got "{_shown(url)}"'
        ) from None
    driver = str(getattr(dialect_class, "driver", "") or parsed.get_driver_name())
    return driver, _DBAPI_MODULES.get(driver)
