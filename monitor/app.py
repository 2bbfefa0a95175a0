"""One `App` per process: the settings, the database, the clocks and the environment.

The CLI builds one per command, the daemon one for its lifetime, tests one per case; every
service takes it as its first argument, so none of them opens a database, reads a clock or an
environment variable on its own. The database is opened (and migrated) on first use, so
commands that never touch it (`config validate`, `inspect`) never load the storage code.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from checks.base import Clock, utcnow
from monitor.config import Settings

if TYPE_CHECKING:
    from monitor.storage import Database

__all__ = ["App"]


def _alerts_clock() -> Clock:
    from monitor.wiring.alerts import alerts_clock

    return alerts_clock()


@dataclasses.dataclass
class App:
    """Everything a service may use. Close it (or use it as a context manager) when done.

    Attributes:
        settings: the validated configuration.
        clock: time for runs and baselines.
        alerts_clock: time for the alert lifecycle and the outbox (shiftable in tests).
        environ: where secrets named by `*_env` keys are read.
        database_factory: opens the database (default: open and migrate `database.url`).
        shared_database: an already open database to use and leave open (tests, the daemon
            handing one database to many requests).
    """

    settings: Settings
    clock: Clock = utcnow
    alerts_clock: Clock = dataclasses.field(default_factory=_alerts_clock)
    environ: Mapping[str, str] = dataclasses.field(default_factory=lambda: os.environ)
    database_factory: Callable[[str], Database] | None = None
    shared_database: Database | None = None
    # state checks keep between runs of this process (the blocklist answer cache and rate
    # limiters), handed to them through `monitor.services.checks.plan_context`
    check_state: dict[str, Any] = dataclasses.field(default_factory=dict)
    _database: Database | None = dataclasses.field(default=None, init=False, repr=False)
    _lock: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, init=False, repr=False
    )

    @property
    def database(self) -> Database:
        """The database, opened and migrated on first use.

        Raises:
            DatabaseUnavailable: it cannot be opened or migrated.
        """
        if self.shared_database is not None:
            return self.shared_database
        with self._lock:  # daemon jobs start together: open (and migrate) exactly once
            if self._database is None:
                if self.database_factory is not None:
                    self._database = self.database_factory(self.settings.database.url)
                else:
                    from monitor.storage import open_database

                    self._database = open_database(self.settings.database.url)
            return self._database

    def close(self) -> None:
        """Release the database connections (idempotent)."""
        with self._lock:
            if self._database is not None:
                self._database.dispose()
                self._database = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
