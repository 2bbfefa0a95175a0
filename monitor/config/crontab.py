"""Cron expressions read as cron reads them, on APScheduler 3.

APScheduler 3's `CronTrigger.from_crontab` numbers the days of the week from Monday (0 is
Monday, 6 is Sunday), unlike cron, where 0 and 7 are Sunday and 1 is Monday. A config line
`cron = "0 7 * * 1"`, meant as "Mondays at 07:00" by anyone who has written a crontab, would
fire on Tuesdays. So the day-of-week field is translated to day names before APScheduler
sees it: every number, range, list and step keeps its cron meaning, and names (`mon-fri`)
mean what they say in both. The other four fields mean the same in both and pass unchanged.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger", "weekday_field"]

# Cron's numbering: 0 (and 7) is Sunday.
_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BY_NAME = {name: number for number, name in enumerate(_NAMES)}


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """The APScheduler trigger of a five-field cron `expression`, read as cron reads it.

    Raises:
        ValueError: not a valid cron expression (the message says which part).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=weekday_field(weekday),
        timezone=timezone,
    )


def weekday_field(field: str) -> str:
    """Cron's day-of-week field as day names APScheduler reads the same way.

    `*` stays `*`; anything else becomes the list of days it selects, in cron's meaning:
    `1-5` is `mon,tue,wed,thu,fri`, `0,6` is `sun,sat`, `*/2` is Sunday, Tuesday, Thursday,
    Saturday.

    Raises:
        ValueError: a number outside 0-7, an unknown name, or a malformed range or step.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        days.update(_expand(item))
    return ",".join(_NAMES[day] for day in sorted(days))


def _expand(item: str) -> list[int]:
    base, slash, step_text = item.partition("/")
    step = _step(step_text) if slash else 1
    if base == "*":
        first, last = 0, 6
    elif "-" in base:
        low, _, high = base.partition("-")
        first, last = _day(low), _day(high, sunday_as=7)
        if first > last:
            raise ValueError(f'day-of-week range "{base}" runs backwards')
    else:
        first = _day(base)
        last = 6 if slash else first  # "1/2": from Monday on, every second day
    return sorted({day % 7 for day in range(first, last + 1, step)})


def _day(text: str, *, sunday_as: int = 0) -> int:
    """A day of week as cron numbers it; Sunday as `sunday_as` (7 at the end of a range)."""
    text = text.strip().lower()
    if text in _BY_NAME:
        number = _BY_NAME[text]
    elif text.isdigit() and int(text) <= 7:
        number = int(text)
    else:
        raise ValueError(f'not a day of week (0-7 or sun-sat): "{text}"')
    if number in (0, 7):
        return sunday_as if sunday_as else number
    return number


def _step(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise ValueError(f'not a step (a positive number): "{text}"')
    return int(text)
