"""The daemon's weekly report job: planned only where a channel exists, queued once per
week and channel however often it fires (restart, second replica), logged in one line."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from monitor.app import App
from monitor.config import parse_settings
from monitor.daemon.jobs import weekly_report_job
from monitor.daemon.scheduler import planned_jobs
from tests.alerts.conftest import new_whsec

NOW = dt.datetime(2026, 11, 30, 7, 0, 5, tzinfo=dt.UTC)  # Monday: report of 2026-W48


def _settings(tmp_path: Path, *, channels: bool) -> Any:
    data: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path / 'sw.db'}"},
        "domains": [{"name": "healthy.test"}],
    }
    if channels:
        data["alerts"] = {
            "channels": [
                {
                    "name": "pager",
                    "kind": "webhook",
                    "url": "http://127.0.0.1:9/in",
                    "secret_env": "SW_SECRET",
                }
            ]
        }
    return parse_settings(data)


def test_the_weekly_job_is_planned_only_with_a_channel(tmp_path: Path) -> None:
    """With nowhere to send, a weekly job would only fail every Monday: it is not planned."""
    with_channel = [j.name for j in planned_jobs(_settings(tmp_path, channels=True))]
    without = [j.name for j in planned_jobs(_settings(tmp_path, channels=False))]
    assert "weekly_report" in with_channel
    assert "weekly_report" not in without


def test_the_weekly_job_queues_last_weeks_report_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Firing twice (a restart on Monday morning) queues one notification; the second fire
    says the channel already has it, and does not wake the outbox."""
    settings = _settings(tmp_path, channels=True)
    wakes: list[int] = []
    with App(settings, clock=lambda: NOW, environ={"SW_SECRET": new_whsec()}) as app:
        with caplog.at_level(logging.INFO, logger="senderwatch.daemon"):
            weekly_report_job(app, lambda: wakes.append(1))
            weekly_report_job(app, lambda: wakes.append(1))
        with app.database.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT channel FROM notifications").fetchall()
    assert wakes == [1]
    assert [row[0] for row in rows] == ["pager"]
    lines = [r.getMessage() for r in caplog.records if r.name == "senderwatch.daemon"]
    assert lines == [
        "weekly report 2026-W48: queued for pager",
        "weekly report 2026-W48: already sent to pager",
    ]
