"""The sweep for late canaries: mail its run gave up on that arrived after all.

A canary run waits `timeout` seconds and then stores "not delivered". That verdict stays
true (the path was too slow for the run), but "slow" and "lost" call for different fixes: a
queue backed up at the relay, or a message dropped or filtered. The sweep looks again, for
every canary of the environment sent within `window` that nobody has seen arrive, records
when it did arrive (`received_at` from the receiver, `detected_at` now) and removes it from
the inbox afterwards, so the test inbox does not fill with stragglers.

Order, as in the canary run: the finding is committed before the message is removed. An
inbox that cannot be searched records nothing (the next sweep looks again); one that refuses
the removal leaves the message, whose row is recorded and no longer awaited, to a person or
the inbox's own expiry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from checks.base import Clock
from checks.canary.inbox import InboxError, InboxReader, open_inbox
from checks.canary.record import CanaryRecord
from monitor.config import Settings
from monitor.storage import Database
from monitor.storage.canary_models import CanaryRepository
from monitor.wiring.canary import inbox_config

__all__ = ["LateCanary", "LateSweep", "sweep_late_canaries"]


@dataclasses.dataclass(frozen=True, slots=True)
class LateCanary:
    """A canary found after its run stopped waiting."""

    record: CanaryRecord
    received_at: dt.datetime
    detected_at: dt.datetime

    @property
    def delay_s(self) -> float:
        """Seconds from the relay's acceptance to the receiver storing it."""
        return (self.received_at - self.record.sent_at).total_seconds()


@dataclasses.dataclass(frozen=True, slots=True)
class LateSweep:
    """What one sweep of one environment found.

    Attributes:
        looked_for: canaries that were still awaited when the sweep began.
        found: those that arrived late (now recorded).
        removal_error: the inbox refused to remove what was found (it stays there).
        inbox_error: the inbox could not be searched at all; nothing was recorded.
    """

    environment: str
    looked_for: int
    found: tuple[LateCanary, ...] = ()
    removal_error: str | None = None
    inbox_error: str | None = None


def sweep_late_canaries(
    settings: Settings,
    database: Database,
    environment: str,
    *,
    window: dt.timedelta,
    clock: Clock,
    environ: Mapping[str, str],
) -> LateSweep:
    """Look for environment `environment`'s awaited canaries in its inbox; record the late.

    Raises:
        ConfigError: the environment has no inbox, or its password variable is unset.
        DatabaseProblem: the database cannot be used.
    """
    env = settings.environments[environment]
    config = inbox_config(environment, env, environ)  # config errors before any work
    with database.transaction() as session:
        awaited = CanaryRepository(session).awaiting(environment, clock() - window)
    if not awaited:
        return LateSweep(environment, 0)
    try:
        with open_inbox(config, clock=clock) as inbox:
            found = _search(inbox, [stored.record for stored in awaited], clock)
            _record(database, [late for late, _ in found])
            removal_error = _remove(inbox, [message_id for _, message_id in found])
    except InboxError as exc:  # opening or searching: nothing was recorded
        return LateSweep(environment, len(awaited), inbox_error=str(exc))
    return LateSweep(
        environment, len(awaited), tuple(late for late, _ in found), removal_error=removal_error
    )


def _search(
    inbox: InboxReader, awaited: list[CanaryRecord], clock: Clock
) -> list[tuple[LateCanary, str]]:
    """Each awaited canary found in the inbox, with the id of its (first) message."""
    found = []
    for record in awaited:
        messages = inbox.find(record.token, record.sent_at)
        if messages:
            found.append((LateCanary(record, messages[0].received_at, clock()), messages[0].id))
    return found


def _record(database: Database, late: list[LateCanary]) -> None:
    if not late:
        return
    with database.transaction() as session:
        canaries = CanaryRepository(session)
        for item in late:
            canaries.record_late(item.record.token, item.received_at, item.detected_at)


def _remove(inbox: InboxReader, ids: list[str]) -> str | None:
    """Remove the found canaries; the reason when the inbox refuses (they stay)."""
    if not ids:
        return None
    try:
        inbox.delete(ids)
    except InboxError as exc:
        return f"{exc.step} failed: {exc.text}"
    return None
