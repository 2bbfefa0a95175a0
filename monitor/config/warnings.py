"""Cross-environment warnings: legal config that lets staging act as, or read, production.

Why warnings and not errors: sharing is sometimes deliberate (one seed inbox for a small
team), but it must never be an accident. A staging canary sent with production's From domain
or relay credentials proves nothing about staging and pollutes production's reputation; a
staging reader on production's inbox may delete production's proof before it is inspected.
`senderwatch config validate` prints one line per shared resource.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from checks.canary.message import domain_of
from checks.dns.resolver import to_alabel
from monitor.config.environments import EnvironmentSettings
from monitor.config.settings import Settings

__all__ = ["environment_warnings"]


def _from_domain(env: EnvironmentSettings) -> str | None:
    return to_alabel(domain_of(env.from_address)) if env.from_address else None


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
        return f"maildir {(inbox.path or '').rstrip('/')} folder {inbox.folder}"
    return f"{(inbox.username or '').lower()} at {(inbox.host or '').lower()} folder {inbox.folder}"


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
