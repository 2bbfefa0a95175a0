"""Load and validate the TOML config, reporting every problem at once with its key path.

A problem reads `config.toml: domains[1].expect.dmarc_policy: must be one of none,
quarantine, reject; got "rejct"`: file, key path (array indexes from 0), what is wrong, what
was found. The CLI prints them all and exits 2.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.config.database_location import resolve_database_url
from monitor.config.settings import Settings

__all__ = ["ConfigError", "load_settings", "parse_settings"]


class ConfigError(Exception):
    """The config cannot be used. `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def load_settings(path: str | Path) -> Settings:
    """Read and validate the config file at `path`.

    Raises:
        ConfigError: the file is missing, is not TOML, or breaks any rule.
    """
    path = Path(path)
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{label}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{label}: cannot read: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{label}: not valid TOML: {exc}"]) from None
    return parse_settings(data, label, config_path=path)


def parse_settings(
    data: Mapping[str, Any], label: str = "config", *, config_path: Path | None = None
) -> Settings:
    """Validate already-parsed TOML data (tests and embedding callers).

    `config_path` is the file the data came from: the database location is resolved against
    it (monitor.config.database_location).
    """
    try:
        settings = Settings.model_validate(_arrays_as_tuples(dict(data)))
    except ValidationError as exc:
        problems = [f"{label}: {_path(err['loc'])}: {_message(err)}" for err in exc.errors()]
        raise ConfigError(problems) from None
    database = data.get("database")
    given = database.get("url") if isinstance(database, Mapping) else None
    url = resolve_database_url(given, config_path)
    return settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": url})}
    )


def _arrays_as_tuples(value: Any) -> Any:
    """TOML arrays arrive as lists; the frozen, strict models hold tuples."""
    if isinstance(value, list):
        return tuple(_arrays_as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _arrays_as_tuples(v) for k, v in value.items()}
    return value


def _path(loc: tuple[int | str, ...]) -> str:
    """pydantic's location tuple → `domains[1].expect.dmarc_policy`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "literal[")) or part in _UNION_TAGS:
            continue  # union/validator branch names are pydantic's, not the user's keys
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


_UNION_TAGS = {"str", "int", "float", "bool", "none", "dict", "list", "tuple"}

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "tuple_type": "an array",
    "list_type": "an array",
}


def _number(value: object) -> str:
    """`0.0` → `0`, `2.5` → `2.5`: bounds read as the user wrote them."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return repr(value)


def _message(err: Mapping[str, Any]) -> str:  # noqa: PLR0911 - one return per error kind reads best
    """One error of `ValidationError.errors()` (pydantic's `ErrorDetails`) as our words."""
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"must be one of {', '.join(choices)}; got {_shown(given)}"
    if kind in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[kind]}; got {_shown(given)}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        words = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {words} {_number(bound)}; got {_shown(given)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg']}; got {_shown(given)}"
