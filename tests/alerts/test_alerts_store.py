"""Alert storage on SQLite and PostgreSQL: migration, records, log, silences, acks, claims."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import update

from alerts.event import AlertRecord, AlertState, Change, NotifyReason, ProblemKey
from alerts.routing import Intent
from checks.result import Severity
from monitor.storage import Database
from monitor.storage.alerts_models import AckRow, AlertStateRow, NotificationRow, SilenceRow
from monitor.storage.alerts_store import AlertRepository, SqlOutboxStore
from tests.alerts.conftest import T0
from tests.support.schema import schema_differences

KEY = ProblemKey("example.test", "dmarc", "dmarc.policy_weaker")
ALERT_TABLES = {m.__tablename__ for m in (AlertStateRow, NotificationRow, SilenceRow, AckRow)}


def record(key: ProblemKey = KEY, state: AlertState = AlertState.FIRING) -> AlertRecord:
    return AlertRecord(
        key=key,
        state=state,
        episode=1,
        sightings=2,
        kind="dns",
        severity=Severity.CRITICAL,
        summary="DMARC policy of example.test weakened: p reject → none",
        labels={"domain": "example.test", "environment": "production"},
        first_seen_at=T0,
        last_seen_at=T0,
        fired_at=T0,
        changes=(Change("dmarc.p", "reject", "none", "weakened"),),
        evidence={
            "record": "v=DMARC1; p=none",
            "lookups": [{"name": "_dmarc.example.test", "rcode": "NOERROR", "ttl": 300}],
        },
    )


def test_migration_creates_exactly_what_the_models_declare(any_db: Database) -> None:
    """0002_alerts and alerts_models.py agree column for column, on both backends."""
    assert schema_differences(any_db, ALERT_TABLES) == []


def test_record_round_trips_through_the_database(any_db: Database) -> None:
    """What the lifecycle saves is what it loads next run, times aware UTC."""
    with any_db.transaction() as session:
        AlertRepository(session).save([record()])
    with any_db.transaction() as session:
        assert AlertRepository(session).get(KEY) == record()


def test_evidence_stored_as_text_before_it_was_an_object_reads_back_as_an_object(
    any_db: Database,
) -> None:
    """Rows from before the change held `key: value` text; they still load as a JSON object."""
    with any_db.transaction() as session:
        AlertRepository(session).save([record()])
        session.execute(update(AlertStateRow).values(evidence="record: v=DMARC1; p=none"))
    with any_db.transaction() as session:
        loaded = AlertRepository(session).get(KEY)
    assert loaded is not None
    assert loaded.evidence == {"excerpt": "record: v=DMARC1; p=none"}


def test_load_for_returns_active_records_of_measured_checks_and_named_keys(
    any_db: Database,
) -> None:
    """The lifecycle sees what it may resolve and what it sighted, nothing more."""
    other = ProblemKey("other.test", "spf", "spf.missing")
    old = ProblemKey("example.test", "dmarc", "dmarc.missing")
    with any_db.transaction() as session:
        AlertRepository(session).save(
            [record(), record(other), record(old, state=AlertState.RESOLVED)]
        )
    with any_db.transaction() as session:
        repo = AlertRepository(session)
        assert set(repo.load_for({("example.test", "dmarc")}, set())) == {KEY}
        assert set(repo.load_for(set(), {old})) == {old}


def test_notification_log_tells_what_each_channel_got(any_db: Database) -> None:
    """Dedup reads the log per (key, episode, channel)."""
    with any_db.transaction() as session:
        repo = AlertRepository(session)
        repo.save([record()])
        repo.enqueue([Intent(record(), "slack", NotifyReason.FIRST)], T0)
    with any_db.transaction() as session:
        log = AlertRepository(session).log_for([record()])
    entry = log[(KEY, 1, "slack")]
    assert (entry.first_sent, entry.resolved_sent, entry.last_sent_at) == (True, False, T0)
    assert (KEY, 1, "webhook") not in log


def test_silence_lifecycle_add_list_cancel(any_db: Database) -> None:
    """Silences are stored, listed while active, and end early when cancelled."""
    with any_db.transaction() as session:
        silence = AlertRepository(session).add_silence(
            now=T0,
            duration=dt.timedelta(hours=2),
            reason="DNS move",
            created_by="ops",
            domain="example.test",
        )
    with any_db.transaction() as session:
        repo = AlertRepository(session)
        assert [s.id for s in repo.silences(T0)] == [silence.id]
        assert repo.cancel_silence(silence.id, T0 + dt.timedelta(minutes=5))
        assert repo.silences(T0 + dt.timedelta(minutes=6)) == []
        assert not repo.cancel_silence(silence.id, T0 + dt.timedelta(minutes=7))


def test_ack_marks_the_current_episode(any_db: Database) -> None:
    """An ack belongs to one episode: a later firing is a fresh page."""
    with any_db.transaction() as session:
        AlertRepository(session).save([record()])
    with any_db.transaction() as session:
        acked = AlertRepository(session).ack(KEY, by="ops", reason="on it", now=T0)
    assert acked.acked
    assert acked.acked_episode == 1


def test_concurrent_dispatchers_never_claim_the_same_row(any_db: Database) -> None:
    """Replicas share the outbox: every row is claimed by exactly one of them."""
    rec = record()
    with any_db.transaction() as session:
        # Reminders: one episode may have many, but only one "first" (uq_notifications_once).
        AlertRepository(session).enqueue(
            [Intent(rec, "hook", NotifyReason.REMINDER) for _ in range(40)], T0
        )
    claims: list[list[str]] = [[] for _ in range(4)]

    def work(i: int) -> None:
        store = SqlOutboxStore(any_db)
        while items := store.claim(T0, ["hook"], dt.timedelta(minutes=5), 3):
            claims[i].extend(item.notification.id for item in items)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [nid for claim in claims for nid in claim]
    assert len(every) == len(set(every)) == 40
