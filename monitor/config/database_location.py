"""Where the database lives: decided by the config file, never by the working directory.

    [database] url set, SQLite, relative path   the config file's folder (like any path a
                                                config names); `~` is expanded
    [database] url set, anything else           as written (absolute files, servers, memory)
    [database] url not set                      $XDG_STATE_HOME/senderwatch/<config name>.db,
                                                `~/.local/state/...` when XDG_STATE_HOME is
                                                unset (or relative, which the spec forbids)

"<config name>" is the config file's name without `.toml`: `senderwatch.toml` keeps its
state in `senderwatch.db`, and trying `config.example.toml` fills `config.example.db`, so
the example's domains never fire in the database of the config a person writes next. With
no config file at all (`parse_settings` from code), the default is `senderwatch.db` there,
and relative paths are taken from the current directory, made absolute once at load.

`senderwatch` says on stderr where it created a new SQLite file (monitor.storage).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs

__all__ = ["default_database_path", "resolve_database_url", "state_directory"]

DEFAULT_NAME = "senderwatch"


def state_directory(environ: Mapping[str, str] | None = None) -> Path:
    """senderwatch's folder under the XDG state home (which is for data that should persist
    between runs but is not the user's documents: history, logs, our database)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    if not base or not Path(base).is_absolute():
        home = env.get("HOME") or str(Path.home())
        base = str(Path(home) / ".local" / "state")
    return Path(base) / "senderwatch"


def default_database_path(
    config_path: Path | None, environ: Mapping[str, str] | None = None
) -> Path:
    """The SQLite file used when the config names none: one per config file name."""
    name = config_path.stem if config_path is not None and config_path.stem else DEFAULT_NAME
    return state_directory(environ) / f"{name}.db"


def resolve_database_url(
    url: str | None, config_path: Path | None, environ: Mapping[str, str] | None = None
) -> str:
    """The database URL to open for a config at `config_path` whose `[database] url` is `url`
    (None when not set); see the module docstring for the rules."""
    if url is None:
        return f"sqlite:///{default_database_path(config_path, environ)}"
    # Parsed by hand, not with SQLAlchemy's make_url: loading a config must not import the
    # database stack (`config validate` starts in a fraction of a second). The form is
    # SQLAlchemy's: `sqlite[+driver]:///relative.db`, `sqlite:////absolute.db`, a query after `?`.
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite" or not rest.startswith("/"):
        return url
    location, _, query_text = rest.partition("?")
    database = location[1:]
    if database in ("", ":memory:"):
        return url
    uri = "true" in parse_qs(query_text).get("uri", []) and database.startswith("file:")
    path_text = database.removeprefix("file:") if uri else database
    if not path_text or path_text.startswith(":memory:"):
        return url
    path = Path(path_text).expanduser()
    if not path.is_absolute():
        base = config_path.parent if config_path is not None else Path.cwd()
        path = base.absolute() / path
    resolved = f"file:{path}" if uri else str(path)
    return f"{scheme}:///{resolved}" + (f"?{query_text}" if query_text else "")
