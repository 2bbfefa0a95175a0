"""The one reader of secret environment variables.

Secrets never sit in the config file: keys ending in `_env` name an environment variable.
Every builder in `monitor.wiring` reads them here, so a missing secret is reported the same
way whichever part needs it: a `ConfigError` naming the config key and the variable, never
the value, raised before anything is sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from monitor.config import ConfigError

__all__ = ["MissingSecret", "read_secret"]


class MissingSecret(ConfigError):
    """A `*_env` key names a variable that is unset or empty."""


def read_secret(variable: str | None, *, key: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of environment variable `variable`, which config key `key` names.

    Raises:
        MissingSecret: the key is not set, or the variable is unset or empty; the message
            names both, never a value.
    """
    if not variable:
        raise MissingSecret(
            [f"{key} is not set (it names the environment variable with the secret)"]
        )
    value = (os.environ if environ is None else environ).get(variable)
    if not value:
        raise MissingSecret(
            [f"{key}: environment variable {variable} is not set (it holds the secret)"]
        )
    return value
