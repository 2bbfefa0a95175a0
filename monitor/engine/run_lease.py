"""Keeping a run's lease alive while it runs (see monitor.storage.runs for the lease rules).

    with RunHeartbeat(db, run.id, lease_s=settings.database.run_lease) as heartbeat:
        ...                  # the run: DNS checks, a canary waiting in an inbox
        heartbeat.renew()    # optional: a batch commit renews it too

A background thread renews the lease every `lease_s / 4` seconds, so three renewals may fail
(a database briefly locked, a server failing over) before another process may call the run
interrupted. When the run stops on an exception (Ctrl-C, a crash) the run is marked
`interrupted` at once rather than when its lease runs out.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from monitor.storage import Database, DatabaseProblem
from monitor.storage.runs import RunLeases

__all__ = ["LeaseRenewal", "RunHeartbeat"]


class LeaseRenewal:
    """A `with` block during which `renew()` runs every quarter lease on a daemon thread.

    The shared shape of every lease senderwatch keeps alive while work runs (a run's lease
    here, a replica's claimed tick in `monitor.daemon.replicas`): subclasses say what
    renewing means and what a failed renewal does.
    """

    def __init__(self, lease_s: float, thread_name: str) -> None:
        self.lease_s = lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=thread_name, daemon=True)

    def renew(self) -> None:
        raise NotImplementedError

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_s / 4):
            self.renew()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


class RunHeartbeat(LeaseRenewal):
    """Renews one run's lease from a daemon thread until the `with` block ends."""

    def __init__(self, db: Database, run_id: int, *, lease_s: float) -> None:
        super().__init__(lease_s, f"run-{run_id}-heartbeat")
        self.db, self.run_id = db, run_id
        self.last_error: DatabaseProblem | None = None

    def renew(self) -> None:
        """Renew now. A database fault is kept in `last_error`, not raised: the run's own next
        write meets the same fault and reports it; a missed renewal only shortens the lease."""
        try:
            with self.db.transaction() as session:
                RunLeases(session).renew(self.run_id, self.lease_s)
        except DatabaseProblem as exc:
            self.last_error = exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        if exc is not None and not isinstance(exc, DatabaseProblem):
            self._mark_interrupted()

    def _mark_interrupted(self) -> None:
        """Best effort: if the database itself failed, the lease running out marks it later."""
        try:
            with self.db.transaction() as session:
                RunLeases(session).interrupt(self.run_id)
        except DatabaseProblem as problem:
            self.last_error = problem
