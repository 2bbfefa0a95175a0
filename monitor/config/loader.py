"""Load and validate the TOML config, reporting every problem at once with its key path.

A problem reads `config.toml: domains[1].expect.dmarc_policy: must be one of none,
quarantine, reject; got "rejct"`: file, key path (array indexes from 0), what is wrong, what
was found (wording in `monitor.config.problems`). The CLI prints them all and exits 2.

Whatever the file holds, loading ends in `Settings` or a `ConfigError`, never in another
exception: a TOML parser recursion on absurdly nested arrays, too, is one line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.config.database_location import resolve_database_url
from monitor.config.problems import describe
from monitor.config.settings import Settings

__all__ = [
    "MAX_DEPTH",
    "MISSING_CONFIG_HINT",
    "ConfigError",
    "ConfigFileMissing",
    "load_settings",
    "parse_settings",
]

MAX_DEPTH = 16
"""Tables and arrays nested deeper than this are refused: no setting is deeper than four, and
parsers and validators recurse (a 5,000-deep array used to end in RecursionError)."""


MISSING_CONFIG_HINT = (
    "no config file: start from config.example.toml (every option, explained): copy it to "
    "./senderwatch.toml and edit it, or pass --config PATH or set $SENDERWATCH_CONFIG"
)
"""What to say when no config file was named and the default one does not exist."""


class ConfigError(Exception):
    """The config cannot be used. `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ConfigFileMissing(ConfigError):
    """The config file does not exist (callers may say how to start one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__([f"{path}: file not found"])


def load_settings(path: str | Path) -> Settings:
    """Read and validate the config file at `path`.

    Raises:
        ConfigFileMissing: there is no such file.
        ConfigError: the file is not readable, is not TOML, or breaks any rule.
    """
    path = Path(path)
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileMissing(path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{label}: cannot read: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{label}: not valid TOML: {exc}"]) from None
    except RecursionError:
        raise ConfigError(
            [
                f"{label}: arrays or inline tables nested too deeply "
                f"(no setting is deeper than {MAX_DEPTH})"
            ]
        ) from None
    return parse_settings(data, label, config_path=path)


def parse_settings(
    data: Mapping[str, Any], label: str = "config", *, config_path: Path | None = None
) -> Settings:
    """Validate already-parsed TOML data (tests and embedding callers).

    `config_path` is the file the data came from: the database location is resolved against
    it (monitor.config.database_location).

    Raises:
        ConfigError: every problem, one line each.
    """
    too_deep = _too_deep(data)
    if too_deep is not None:
        raise ConfigError(
            [f"{label}: {too_deep}: nested more than {MAX_DEPTH} levels deep; no setting is"]
        )
    try:
        settings = Settings.model_validate(_arrays_as_tuples(dict(data)))
    except ValidationError as exc:
        problems = [f"{label}: {describe(Settings, err)}" for err in exc.errors()]
        raise ConfigError(problems) from None
    database = data.get("database")
    given = database.get("url") if isinstance(database, Mapping) else None
    url = resolve_database_url(given, config_path)
    return settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": url})}
    )


def _too_deep(data: Mapping[str, Any]) -> str | None:
    """The key path of the first value nested deeper than `MAX_DEPTH`, found without
    recursion (the point is not to recurse on hostile input)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path or "(top level)"
        if isinstance(value, Mapping):
            items: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            inner = path if path.endswith("[…]") else f"{path}[…]"
            items = ((inner, v) for v in value)
        else:
            continue
        stack.extend((child, child_path, depth + 1) for child_path, child in items)
    return None


def _arrays_as_tuples(value: Any) -> Any:
    """TOML arrays arrive as lists; the frozen, strict models hold tuples."""
    if isinstance(value, list):
        return tuple(_arrays_as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _arrays_as_tuples(v) for k, v in value.items()}
    return value
