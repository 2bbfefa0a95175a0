"""Routing, silences and inhibition: who hears about what."""

from __future__ import annotations

import datetime as dt

from alerts.event import CHECK_UNAVAILABLE, AlertRecord, AlertState, NotifyReason, ProblemKey
from alerts.lifecycle import Decision, LogEntry, Transition
from alerts.routing import Route, Silence, inhibitor_of, plan
from checks.result import Severity

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def record(
    key: str,
    *,
    severity: Severity = Severity.CRITICAL,
    env: str = "",
    kind: str = "dns",
    fired_at: dt.datetime = T0,
    state: AlertState = AlertState.FIRING,
) -> AlertRecord:
    pk = ProblemKey.parse(key)
    return AlertRecord(
        key=pk,
        state=state,
        episode=1,
        sightings=1,
        kind=kind,
        severity=severity,
        summary=key,
        labels={"domain": pk.scope, "environment": env, "check": pk.check},
        first_seen_at=fired_at,
        last_seen_at=fired_at,
        fired_at=fired_at,
    )


def fired(*records: AlertRecord) -> list[Decision]:
    return [Decision(r, Transition.FIRED) for r in records]


def test_route_filters_by_severity_environment_and_domain() -> None:
    """A channel hears only the alerts its route asks for; empty lists mean everything."""
    route = Route("ops", Severity.CRITICAL, frozenset({"production"}), frozenset({"a.test"}))
    assert route.matches(record("a.test/spf/x", env="production"))
    assert not route.matches(record("a.test/spf/x", env="staging"))
    assert not route.matches(record("b.test/spf/x", env="production"))
    assert not route.matches(record("a.test/spf/x", env="production", severity=Severity.WARNING))
    assert Route("all").matches(record("b.test/spf/x", severity=Severity.WARNING))


def test_silenced_alert_is_recorded_as_muted_and_not_planned() -> None:
    """Silenced alerts are stored and shown, never notified."""
    silence = Silence(1, T0, T0 + dt.timedelta(hours=2), "planned DNS move", domain="a.test")
    out = plan(
        fired(record("a.test/spf/x"), record("b.test/spf/x")),
        routes=[Route("ops")],
        silences=[silence],
        firing=[],
        log={},
        now=T0,
    )
    assert [str(i.record.key) for i in out.intents] == ["b.test/spf/x"]
    assert "planned DNS move" in out.muted[ProblemKey.parse("a.test/spf/x")]


def test_expired_and_cancelled_silences_no_longer_mute() -> None:
    """A silence ends at its end time or when cancelled (`alerts unsilence`)."""
    ended = Silence(
        1,
        T0 - dt.timedelta(hours=3),
        T0 - dt.timedelta(hours=1),
        "old",
        key=None,
        environment="production",
    )
    cancelled = Silence(
        2, T0, T0 + dt.timedelta(hours=2), "x", environment="production", cancelled_at=T0
    )
    out = plan(
        fired(record("a.test/spf/x", env="production")),
        routes=[Route("ops")],
        silences=[ended, cancelled],
        firing=[],
        log={},
        now=T0,
    )
    assert [i.reason for i in out.intents] == [NotifyReason.FIRST]


def test_dns_outage_mutes_spf_dkim_dmarc_of_the_same_domain_only() -> None:
    """One page for a DNS outage, not one per record type; other domains are unaffected."""
    outage = record(f"a.test/mx/{CHECK_UNAVAILABLE}")
    assert inhibitor_of(record("a.test/spf/spf.missing"), [outage]) == outage.key
    assert inhibitor_of(record("a.test/dmarc/dmarc.missing"), [outage]) == outage.key
    assert inhibitor_of(record("b.test/spf/spf.missing"), [outage]) is None
    assert inhibitor_of(record("a.test/mx/mx.missing"), [outage]) is None


def test_several_unavailable_dns_checks_leave_exactly_one_audible() -> None:
    """SPF, DKIM and DMARC all unreachable: the earliest stays audible, the rest are muted."""
    early = record(f"a.test/spf/{CHECK_UNAVAILABLE}", fired_at=T0)
    late = record(f"a.test/dkim/{CHECK_UNAVAILABLE}", fired_at=T0 + dt.timedelta(minutes=1))
    out = plan(
        fired(early, late),
        routes=[Route("ops")],
        silences=[],
        firing=[early, late],
        log={},
        now=T0,
    )
    assert [i.record.key for i in out.intents] == [early.key]
    assert out.muted[late.key] == f"inhibited by {early.key}"


def test_reminders_follow_each_channels_own_repeat_interval() -> None:
    """Slack every hour, email every day: each channel's log decides for itself."""
    rec = record("a.test/spf/x")
    log = {
        (rec.key, 1, "slack"): LogEntry(first_sent=True, last_sent_at=T0),
        (rec.key, 1, "email"): LogEntry(first_sent=True, last_sent_at=T0),
    }
    out = plan(
        [Decision(rec, Transition.STILL_FIRING)],
        routes=[
            Route("slack", repeat_interval=dt.timedelta(hours=1)),
            Route("email", repeat_interval=dt.timedelta(days=1)),
        ],
        silences=[],
        firing=[rec],
        log=log,
        now=T0 + dt.timedelta(hours=2),
    )
    assert [(i.channel, i.reason) for i in out.intents] == [("slack", NotifyReason.REMINDER)]


def test_pending_problems_are_never_routed() -> None:
    """Flap damping happens before routing: pending problems reach no channel."""
    pending = record("a.test/canary/x", state=AlertState.PENDING)
    out = plan(
        [Decision(pending, Transition.PENDING)],
        routes=[Route("ops")],
        silences=[],
        firing=[],
        log={},
        now=T0,
    )
    assert out.intents == ()
