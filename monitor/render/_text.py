"""Text helpers every renderer shares: aligned tables, colour that only decorates, plurals."""

from __future__ import annotations

import json

import click

__all__ = ["SEVERITY_COLOURS", "STATUS_COLOURS", "plural", "style", "table", "value"]

STATUS_COLOURS = {"pass": "green", "warn": "yellow", "fail": "red", "error": "magenta"}
SEVERITY_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan", "error": "magenta"}


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart, no trailing blanks."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def value(item: object) -> str:
    """JSON spelling, so "2048" and 2048, or absent (null) and "none", stay apart."""
    return json.dumps(item, ensure_ascii=False)


def style(text: str, colour: str, color: bool, *, bold: bool = False) -> str:
    """`text` coloured when `color` (a terminal); the words carry the meaning without it."""
    return click.style(text, fg=colour, bold=bold or None) if color else text


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 check`, `2 checks`, `0 checks` (`many` for irregular plurals: `1 entry`, `2 entries`)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
