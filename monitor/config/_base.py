"""Base model for every config section, and the value rules several sections share.

pydantic does the type checking and collects every problem in one pass with its key path;
`monitor.config.problems` turns those into one readable line per problem. A section's own
cross-key rules report every problem they find too (`Problems`), not only the first.

This module and its siblings import nothing heavy (no DNS, database or HTTP stack) at import
time: `senderwatch config validate` must stay quick. What a rule needs is imported inside it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "RULE_ERROR",
    "EnvName",
    "HttpUrl",
    "Problems",
    "Section",
    "Security",
    "is_loopback_host",
    "plaintext_only_on_loopback",
    "shorten",
    "validate_domain_name",
    "validate_http_url",
    "validate_ip_network",
]

RULE_ERROR = "config_rule"
"""pydantic error type of a problem found by a section's own rule (its message is final)."""


class Section(BaseModel):
    """A config table: immutable after load, unknown keys are errors (typos must not pass).

    Floats refuse `nan` and `inf` (TOML has both): a NaN timeout compares false with every
    bound and would pass them all.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, populate_by_name=True, allow_inf_nan=False
    )

    unknown_table_hint: ClassVar[str] = ""
    """Said after "unknown key" for an unknown table when no known key is close to its name."""


class Problems:
    """Collects a section's rule violations so that all of them are reported, not the first.

    `add(message)` names the section itself; `add(message, "key", 0)` names a key below it.
    `raise_any()` raises them as one `ValidationError`, whose line errors pydantic keeps
    (with their locations) when the error leaves a validator.
    """

    def __init__(self, title: str) -> None:
        self._title = title
        self._errors: list[InitErrorDetails] = []

    def add(self, message: str, *loc: str | int) -> None:
        error = PydanticCustomError(RULE_ERROR, "{error}", {"error": message})
        self._errors.append(InitErrorDetails(type=error, loc=loc, input=None))

    def __bool__(self) -> bool:
        return bool(self._errors)

    def raise_any(self) -> None:
        if self._errors:
            raise ValidationError.from_exception_data(self._title, self._errors)


def shorten(value: str, limit: int = 40) -> str:
    """A long value as the user can still recognise it: head, then its length."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"


Security = Literal["tls", "starttls", "none"]


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses: the only place plaintext is allowed."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plaintext_only_on_loopback(host: str, security: str) -> str | None:
    """The problem with `security = "none"` towards `host`, or None."""
    if security == "none" and not is_loopback_host(host):
        return f'security = "none" is allowed only for a loopback host; got host "{host}"'
    return None


_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def validate_domain_name(value: str) -> str:
    """Normalise a domain name (lower case, no trailing dot) and reject what DNS cannot hold.

    U-labels are accepted and kept as written (shown to users as such); checks convert to
    A-labels before each query.
    """
    from checks.dns.names import to_alabel

    name = value.strip().rstrip(".")
    try:
        ascii_name = to_alabel(name)
    except Exception as exc:
        raise ValueError(f'not a valid domain name ({exc}); got "{shorten(value)}"') from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise ValueError(f'not a valid domain name; got "{shorten(value)}"')
    return name.lower()


def validate_ip_network(value: str) -> str:
    """An IPv4/IPv6 address or CIDR range, as SPF `ip4:`/`ip6:` terms carry them."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError(f'not an IP address or CIDR range; got "{shorten(value)}"') from None


def validate_http_url(value: str) -> str:
    """An absolute http(s) URL with a host: what `requests` can POST to.

    Anything else would only fail at delivery time, where it looks like a network problem.
    The value is not echoed when it is malformed in a way that suggests a pasted secret
    (callers that read it from the environment say which variable instead).
    """
    from urllib.parse import urlsplit

    if value != value.strip() or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("must be an http(s) URL (it contains spaces or control characters)")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ValueError(f"must be an http(s) URL ({exc})") from None
    if parts.scheme not in {"http", "https"}:
        raise ValueError("must be an http(s) URL (starting with https:// or http://)")
    if not parts.hostname:
        raise ValueError("must be an http(s) URL with a host name")
    return value


def _http_url(value: str) -> str:
    try:
        return validate_http_url(value)
    except ValueError as exc:
        raise ValueError(f'{exc}; got "{shorten(value)}"') from None


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""A config key holding a (non-secret) http(s) URL."""

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f'must name an environment variable; got "{shorten(value)}"')
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]
"""A `*_env` key: the name of the environment variable that holds a secret."""
