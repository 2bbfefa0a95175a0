"""Cron expressions mean what cron means, although APScheduler 3 numbers weekdays from
Monday: "0 7 * * 1" is Monday 07:00, never Tuesday."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.config import ConfigError, parse_settings
from monitor.config.crontab import cron_trigger, weekday_field

# Monday 30 November 2026, 08:00 UTC: the next Monday is 7 December.
MONDAY_MORNING = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def _next(expression: str, after: dt.datetime = MONDAY_MORNING) -> dt.datetime:
    fire = cron_trigger(expression, "UTC").get_next_fire_time(None, after)
    assert fire is not None
    return fire


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0,6", "sun,sat"),
        ("0-6", "sun,mon,tue,wed,thu,fri,sat"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("sat,sun", "sun,sat"),
        ("*", "*"),
    ],
)
def test_weekday_field_keeps_crons_meaning(field: str, names: str) -> None:
    """Every form of the field (number, range, list, step, name) selects cron's days."""
    assert weekday_field(field) == names


def test_monday_by_number_fires_on_monday() -> None:
    """The bug this module exists for: APScheduler's own parser would pick Tuesday."""
    assert _next("0 7 * * 1").strftime("%a %d") == "Mon 07"
    assert _next("0 7 * * mon").strftime("%a %d") == "Mon 07"
    assert _next("30 6 * * 0").strftime("%a %d %H:%M") == "Sun 06 06:30"


def test_time_zone_is_honoured() -> None:
    """07:00 in Berlin is 06:00 UTC in winter."""
    fire = cron_trigger("0 7 * * 1", "Europe/Berlin").get_next_fire_time(None, MONDAY_MORNING)
    assert fire is not None
    assert fire.astimezone(dt.UTC).strftime("%a %d %H:%M") == "Mon 07 06:00"


@pytest.mark.parametrize("bad", ["0 7 * * 8", "0 7 * * 5-1", "0 7 * * */0", "0 7 * *", "0 7 * * x"])
def test_a_bad_weekday_is_a_config_error_naming_the_key(bad: str) -> None:
    """Out of range, backwards, a zero step, four fields, a typo: one line naming the key."""
    with pytest.raises(ConfigError) as caught:
        parse_settings({"daemon": {"jobs": {"weekly_report": {"cron": bad}}}})
    assert "daemon.jobs.weekly_report.cron" in str(caught.value)
