"""The lifecycle's pure decisions: damping, firing, resolving, reminders, error grace."""

from __future__ import annotations

import datetime as dt

from alerts.event import (
    CHECK_UNAVAILABLE,
    AlertRecord,
    AlertState,
    NotifyReason,
    ProblemKey,
    Sighting,
)
from alerts.lifecycle import (
    Decision,
    LifecyclePolicy,
    LogEntry,
    Measurement,
    RunObservation,
    Transition,
    evaluate,
    notify_reason,
)
from checks.result import Severity

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
CANARY = ProblemKey("production", "canary", "canary.dkim_fail")
SPF = ProblemKey("example.test", "spf", "spf.too_many_lookups")
POLICY = LifecyclePolicy(error_grace=dt.timedelta(minutes=30))


def sight(key: ProblemKey, kind: str) -> Sighting:
    return Sighting(key, kind, Severity.CRITICAL, f"{key} broke", {"domain": "example.test"})


def run(
    store: dict[ProblemKey, AlertRecord],
    key: ProblemKey,
    kind: str,
    *,
    seen: bool,
    errored: bool = False,
    at: dt.datetime = T0,
) -> list[Decision]:
    """One run over one check; applies the decisions to `store` like the bridge does."""
    sightings = (sight(key, kind),) if seen else ()
    if errored:
        sightings = (sight(ProblemKey(key.scope, key.check, CHECK_UNAVAILABLE), kind),)
    obs = RunObservation((Measurement(key.scope, key.check, errored),), sightings)
    decisions = evaluate(store, obs, POLICY, at)
    store.update({d.record.key: d.record for d in decisions})
    return decisions


def transitions(decisions: list[Decision]) -> list[Transition]:
    return [d.transition for d in decisions]


def test_canary_fires_only_on_its_second_consecutive_failure() -> None:
    """Flap damping: one lost canary is noise, two in a row are a problem (default 2)."""
    store: dict[ProblemKey, AlertRecord] = {}
    assert transitions(run(store, CANARY, "canary", seen=True)) == [Transition.PENDING]
    assert transitions(run(store, CANARY, "canary", seen=True)) == [Transition.FIRED]
    assert store[CANARY].state is AlertState.FIRING


def test_dns_problem_fires_on_first_sighting() -> None:
    """DNS drift is deterministic: damping defaults to 1 for DNS checks."""
    store: dict[ProblemKey, AlertRecord] = {}
    assert transitions(run(store, SPF, "dns", seen=True)) == [Transition.FIRED]


def test_fail_fail_pass_fires_once_and_resolves_once() -> None:
    """The sequence on-call lives through: exactly one FIRED and one RESOLVED."""
    store: dict[ProblemKey, AlertRecord] = {}
    seen = [
        *run(store, CANARY, "canary", seen=True),
        *run(store, CANARY, "canary", seen=True),
        *run(store, CANARY, "canary", seen=False),
    ]
    assert transitions(seen) == [Transition.PENDING, Transition.FIRED, Transition.RESOLVED]


def test_a_flap_that_clears_while_pending_is_never_announced() -> None:
    """fail → pass → fail with damping 2 never fires: the pass reset the streak."""
    store: dict[ProblemKey, AlertRecord] = {}
    got = [
        *run(store, CANARY, "canary", seen=True),
        *run(store, CANARY, "canary", seen=False),
        *run(store, CANARY, "canary", seen=True),
    ]
    assert transitions(got) == [Transition.PENDING, Transition.CLEARED, Transition.PENDING]


def test_an_erroring_check_neither_resolves_nor_confirms_its_problems() -> None:
    """ "Could not measure" is no evidence: a firing SPF problem stays firing through errors."""
    store: dict[ProblemKey, AlertRecord] = {}
    run(store, SPF, "dns", seen=True)
    run(store, SPF, "dns", seen=False, errored=True)
    assert store[SPF].state is AlertState.FIRING


def test_check_unavailable_fires_only_after_the_error_grace() -> None:
    """A check erroring for longer than error_grace fires check.unavailable, not before."""
    store: dict[ProblemKey, AlertRecord] = {}
    key = ProblemKey(SPF.scope, SPF.check, CHECK_UNAVAILABLE)
    run(store, SPF, "dns", seen=False, errored=True, at=T0)
    run(store, SPF, "dns", seen=False, errored=True, at=T0 + dt.timedelta(minutes=29))
    assert store[key].state is AlertState.PENDING
    run(store, SPF, "dns", seen=False, errored=True, at=T0 + dt.timedelta(minutes=30))
    assert store[key].state is AlertState.FIRING


def test_check_unavailable_resolves_when_the_check_measures_again() -> None:
    """Once the check answers again, its unavailability is over, whatever it found."""
    store: dict[ProblemKey, AlertRecord] = {}
    key = ProblemKey(SPF.scope, SPF.check, CHECK_UNAVAILABLE)
    run(store, SPF, "dns", seen=False, errored=True, at=T0)
    run(store, SPF, "dns", seen=False, errored=True, at=T0 + dt.timedelta(hours=1))
    run(store, SPF, "dns", seen=True, at=T0 + dt.timedelta(hours=2))
    assert store[key].state is AlertState.RESOLVED
    assert store[SPF].state is AlertState.FIRING


def test_a_problem_that_returns_opens_a_new_episode() -> None:
    """Resolved then broken again is a new page, not a reminder of the old one."""
    store: dict[ProblemKey, AlertRecord] = {}
    run(store, SPF, "dns", seen=True)
    run(store, SPF, "dns", seen=False)
    run(store, SPF, "dns", seen=True)
    assert (store[SPF].state, store[SPF].episode) == (AlertState.FIRING, 2)


def firing(acked: bool = False) -> Decision:
    record = AlertRecord(
        key=SPF,
        state=AlertState.FIRING,
        episode=1,
        sightings=1,
        kind="dns",
        severity=Severity.CRITICAL,
        summary="s",
        labels={},
        first_seen_at=T0,
        last_seen_at=T0,
        fired_at=T0,
        acked_episode=1 if acked else None,
    )
    return Decision(record, Transition.STILL_FIRING)


HOUR = dt.timedelta(hours=1)


def test_first_notification_then_silence_until_the_repeat_interval() -> None:
    """Dedup: a firing problem already announced is not re-sent before the interval."""
    sent = LogEntry(first_sent=True, last_sent_at=T0)
    assert notify_reason(firing(), LogEntry(), HOUR, T0) is NotifyReason.FIRST
    assert notify_reason(firing(), sent, HOUR, T0 + dt.timedelta(minutes=59)) is None
    assert notify_reason(firing(), sent, HOUR, T0 + HOUR) is NotifyReason.REMINDER


def test_an_acked_episode_gets_no_reminders() -> None:
    """Ack means "someone is on it": no more reminders for this episode."""
    sent = LogEntry(first_sent=True, last_sent_at=T0)
    assert notify_reason(firing(acked=True), sent, HOUR, T0 + 10 * HOUR) is None


def test_resolved_goes_only_where_the_firing_went_and_only_once() -> None:
    """A channel never told about a problem is not told it is over; nobody is told twice."""
    record = firing().record.replace(state=AlertState.RESOLVED, resolved_at=T0 + HOUR)
    done = Decision(record, Transition.RESOLVED)
    told = LogEntry(first_sent=True, last_sent_at=T0)
    assert notify_reason(done, LogEntry(), HOUR, T0) is None
    assert notify_reason(done, told, HOUR, T0) is NotifyReason.RESOLVED
    twice = LogEntry(first_sent=True, resolved_sent=True, last_sent_at=T0)
    assert notify_reason(done, twice, HOUR, T0) is None


def test_log_entry_reminder_clock_ignores_resolved_rows() -> None:
    """The repeat interval counts from the last firing/reminder message."""
    entry = LogEntry.from_rows([(NotifyReason.FIRST, T0), (NotifyReason.REMINDER, T0 + HOUR)])
    assert entry == LogEntry(first_sent=True, resolved_sent=False, last_sent_at=T0 + HOUR)
