"""Durations as users write them: `90s`, `30m`, `4h`, `1d`, or combined (`1h30m`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["Duration", "parse_duration"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """`90s`, `30m`, `4h`, `1d`, `1h30m` → timedelta.

    Raises:
        ValueError: anything else (a bare number is refused: seconds or minutes?).
    """
    value = text.strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        shown = text if len(text) <= 40 else f"{text[:40]}…"
        raise ValueError(f'must be a duration such as "90s", "30m", "4h" or "1d"; got "{shown}"')
    try:
        return dt.timedelta(seconds=total)
    except OverflowError:
        raise ValueError(f'is too long for a duration; got "{text[:40]}"') from None


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[dt.timedelta, BeforeValidator(_duration)]
"""A config key holding a duration string."""
