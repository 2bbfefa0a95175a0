"""The late-canary sweep against a real Maildir and a real SQLite database: a canary its run
gave up on is recorded when it turns up, removed from the inbox, and never looked for twice."""

from __future__ import annotations

import datetime as dt
import logging
import mailbox
from pathlib import Path

import pytest

from checks.canary.message import CanaryMessage, new_canary
from checks.canary.record import CanaryRecord
from monitor.app import App
from monitor.config import parse_settings
from monitor.daemon.jobs import InboxUnreadable, late_canaries_job
from monitor.services.canary import sweep_late
from monitor.storage.canary_models import CanaryRepository

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _app(tmp_path: Path, maildir: Path) -> App:
    settings = parse_settings(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'sw.db'}"},
            "environments": {
                "staging": {
                    "domain": "healthy.test",
                    "from": "canary@healthy.test",
                    "to": "seed@lab.test",
                    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                    "inbox": {
                        "kind": "maildir",
                        "path": str(maildir),
                        "trusted_authserv_ids": ["lab.test"],
                    },
                }
            },
        }
    )
    return App(settings, clock=lambda: NOW, environ={})


def _sent(app: App, *, minutes_ago: float, release: str | None = None) -> CanaryMessage:
    """A canary as a run stores it after waiting in vain: sent, not delivered."""
    message = new_canary("staging", "canary@healthy.test", "seed@lab.test", release=release)
    record = CanaryRecord(
        message.token,
        "staging",
        message.message_id,
        NOW - dt.timedelta(minutes=minutes_ago),
        release,
        delivered=False,
    )
    with app.database.transaction() as session:
        CanaryRepository(session).add(record, run_id=None, result_id=None)
    return message


def _row(app: App, token: str) -> CanaryRecord:
    with app.database.transaction() as session:
        stored = CanaryRepository(session).by_token(token)
    assert stored is not None
    return stored.record


def test_a_canary_that_arrives_after_its_run_is_recorded_late_and_removed(tmp_path: Path) -> None:
    """Slow is not lost: the row gets its arrival, stays `delivered=False` (what the run
    judged), and the message leaves the inbox only after that is stored."""
    box = mailbox.Maildir(tmp_path / "Maildir", factory=None, create=True)
    with _app(tmp_path, tmp_path / "Maildir") as app:
        late = _sent(app, minutes_ago=30, release="v1.4.2")
        lost = _sent(app, minutes_ago=20)
        box.add(late.to_bytes())
        sweep = sweep_late(app, "staging")
        assert sweep.looked_for == 2 and sweep.inbox_error is None
        assert [item.record.token for item in sweep.found] == [late.token]
        row = _row(app, late.token)
        assert row.delivered is False
        assert row.received_at is not None and row.detected_at == NOW
        assert _row(app, lost.token).detected_at is None
        assert len(box) == 0  # removed after the row was committed
        again = sweep_late(app, "staging")
    assert again.looked_for == 1 and again.found == ()  # only the lost one is still awaited


def test_canaries_older_than_the_window_are_no_longer_looked_for(tmp_path: Path) -> None:
    """`daemon.late_canary_window` (default one day) bounds the search: a canary from last
    week is lost, and its message (if any) is left for a person to look at."""
    box = mailbox.Maildir(tmp_path / "Maildir", factory=None, create=True)
    with _app(tmp_path, tmp_path / "Maildir") as app:
        old = _sent(app, minutes_ago=2 * 24 * 60)
        box.add(old.to_bytes())
        sweep = sweep_late(app, "staging")
    assert sweep.looked_for == 0 and sweep.found == ()
    assert len(box) == 1


def test_the_job_logs_each_late_canary_and_fails_when_the_inbox_is_unreadable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On-call reads one warning per late canary (token, environment, release, delay); an
    inbox that cannot be searched fails the job, so /readyz shows it, and records nothing."""
    box = mailbox.Maildir(tmp_path / "Maildir", factory=None, create=True)
    with _app(tmp_path, tmp_path / "Maildir") as app:
        late = _sent(app, minutes_ago=10, release="v2")
        box.add(late.to_bytes())
        with caplog.at_level(logging.INFO, logger="senderwatch.daemon"):
            late_canaries_job(app, "staging")
        lines = [r.getMessage() for r in caplog.records if r.name == "senderwatch.daemon"]
        assert any(
            line.startswith(f"canary {late.token} (staging, release v2) arrived late: ")
            for line in lines
        ), lines
        assert "late canaries staging: 1 awaited, 1 found late" in lines
    with _app(tmp_path, tmp_path / "no-such-maildir") as app:
        waiting = _sent(app, minutes_ago=5)
        with pytest.raises(InboxUnreadable, match="inbox of staging"):
            late_canaries_job(app, "staging")
        assert _row(app, waiting.token).detected_at is None
