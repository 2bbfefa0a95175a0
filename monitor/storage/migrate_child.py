"""Apply pending migrations in a child process, so a long-running daemon never loads Alembic.

Alembic, Mako and Pygments are about 11 MB of resident memory that a daemon would carry for
weeks after using them once at start. `Database.upgrade(isolated=True)` runs this module
with the same interpreter when the schema is behind, and reads the database again after it.

The URL comes on standard input, never in argv, where `ps` would show a password. The exit
status is 0 when the schema is current; on failure the one-line reason is on stderr.
"""

from __future__ import annotations

import sys

from monitor.storage.engine import Database
from monitor.storage.faults import DatabaseProblem


def main() -> int:
    url = sys.stdin.read().strip()
    database = Database(url, on_create=None)
    try:
        database.upgrade()
    except DatabaseProblem as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    finally:
        database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
