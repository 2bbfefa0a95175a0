"""Warnings: legal config that an operator most likely did not mean.

`config_warnings` gathers them all for `senderwatch config validate` (`--strict` makes them
errors): an environment without a `[[domains]]` entry, a config with nothing to check, every
`*_env` key whose variable is unset (named, never with a value), and the cross-environment
sharing below.

Cross-environment warnings: legal config that lets staging act as, or read, production.

Why warnings and not errors: sharing is sometimes deliberate (one seed inbox for a small
team), but it must never be an accident. A staging canary sent with production's From domain
or relay credentials proves nothing about staging and pollutes production's reputation; a
staging reader on production's inbox may delete production's proof before it is inspected.
`senderwatch config validate` prints one line per shared resource.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping

from pydantic import BaseModel

from checks.dns.names import to_alabel
from monitor.config.environments import EnvironmentSettings
from monitor.config.settings import Settings

__all__ = [
    "config_warnings",
    "environment_warnings",
    "nothing_to_check",
    "secret_variables",
    "unset_secret_warnings",
]


def config_warnings(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every warning about `settings`, in a stable order (secrets looked up in `environ`)."""
    warnings = []
    for name, env in sorted(settings.environments.items()):
        if settings.domain(env.domain) is None:
            warnings.append(
                f"environments.{name}: domain {env.domain} has no [[domains]] entry; "
                "its DNS checks run with default expectations"
            )
    warnings.extend(nothing_to_check(settings))
    warnings.extend(unset_secret_warnings(settings, environ))
    # Staging must never send as, or read the proof of, production.
    warnings.extend(environment_warnings(settings))
    return warnings


def nothing_to_check(settings: Settings) -> list[str]:
    """A config without domains and environments is valid and does nothing: say so."""
    if settings.domains or settings.environments:
        return []
    return [
        "nothing to check: no [[domains]] and no [environments.*] tables "
        "(see config.example.toml for both)"
    ]


def secret_variables(model: BaseModel, path: str = "") -> Iterator[tuple[str, str]]:
    """(key path, variable name) of every `*_env` key that is set, anywhere in `model`.

    Found by name, so a new `*_env` key anywhere in the config is covered without a list.
    """
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{path}.{info.alias or name}" if path else (info.alias or name)
        if name.endswith("_env") and isinstance(value, str):
            yield key, value
        elif name.endswith("_env") and isinstance(value, dict):
            yield from ((f"{key}.{sub}", variable) for sub, variable in value.items())
        else:
            yield from _secret_variables_below(value, key)


def _secret_variables_below(value: object, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        yield from secret_variables(value, key)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _secret_variables_below(item, f"{key}[{index}]")
    elif isinstance(value, dict):
        for sub, item in value.items():
            yield from _secret_variables_below(item, f"{key}.{sub}")


def unset_secret_warnings(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[str]:
    """One line per `*_env` key whose variable is unset or empty here; never a value.

    Not an error: `config validate` often runs where the secrets are not (CI, a laptop).
    """
    environ = os.environ if environ is None else environ
    warnings = []
    for key, variable in secret_variables(settings):
        if variable not in environ:
            warnings.append(f"{key}: environment variable {variable} is not set")
        elif not environ[variable]:
            warnings.append(f"{key}: environment variable {variable} is empty")
    return warnings


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def _from_domain(env: EnvironmentSettings) -> str | None:
    return to_alabel(_domain_of(env.from_address)) if env.from_address else None


def _relay(env: EnvironmentSettings) -> str | None:
    """host + username of an authenticated relay (an unauthenticated one is not a credential)."""
    if env.smtp is None or not env.smtp.username:
        return None
    return f"{env.smtp.username.lower()} at {env.smtp.host.lower()}"


def _http_credentials(env: EnvironmentSettings) -> str | None:
    """The ESP endpoint and the variables holding its secrets."""
    if env.http is None or not env.http.headers_env:
        return None
    variables = ",".join(sorted(env.http.headers_env.values()))
    return f"{env.http.url} with {variables}"


def _inbox(env: EnvironmentSettings) -> str | None:
    inbox = env.inbox
    if inbox is None:
        return None
    if inbox.kind == "maildir":
        return f"maildir {inbox.path.rstrip('/')} folder {inbox.folder}"
    return f"{inbox.username.lower()} at {inbox.host.lower()} folder {inbox.folder}"


_RULES = (
    ("From domain", _from_domain, "staging must not send as production"),
    ("relay credentials", _relay, "each environment must prove its own sending path"),
    ("HTTP send credentials", _http_credentials, "each environment must prove its own path"),
    ("inbox", _inbox, "one environment's reader may delete another's proof"),
)


def environment_warnings(settings: Settings) -> list[str]:
    """One line per resource that two or more environments share, in a stable order.

    Shared resources: the From domain; relay credentials (same host and username); ESP
    credentials (same URL and secret variables); the inbox (same host, username and folder,
    or the same Maildir path and folder).
    """
    warnings: list[str] = []
    for label, key_of, why in _RULES:
        for value, names in _shared(settings.environments.items(), key_of):
            warnings.append(f"environments {', '.join(names)} share one {label} ({value}): {why}")
    return warnings


def _shared(
    environments: Iterable[tuple[str, EnvironmentSettings]],
    key_of: Callable[[EnvironmentSettings], str | None],
) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for name, env in sorted(environments):
        value = key_of(env)
        if value:
            groups[value].append(name)
    return sorted((value, names) for value, names in groups.items() if len(names) > 1)
