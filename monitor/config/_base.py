"""Base model for every config section: strict, frozen, unknown keys rejected.

pydantic does the type checking and collects every problem in one pass with its key path;
`monitor.config.loader` turns those into one readable line per problem.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, ConfigDict

__all__ = ["Section", "validate_domain_name", "validate_ip_network"]


class Section(BaseModel):
    """A config table: immutable after load, unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def validate_domain_name(value: str) -> str:
    """Normalise a domain name (lower case, no trailing dot) and reject what DNS cannot hold.

    U-labels are accepted and kept as written (shown to users as such); checks convert to
    A-labels before each query.
    """
    from checks.dns.resolver import to_alabel

    name = value.strip().rstrip(".")
    try:
        ascii_name = to_alabel(name)
    except Exception as exc:
        raise ValueError(f'not a valid domain name ({exc}); got "{value}"') from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise ValueError(f'not a valid domain name; got "{value}"')
    return name.lower()


def validate_ip_network(value: str) -> str:
    """An IPv4/IPv6 address or CIDR range, as SPF `ip4:`/`ip6:` terms carry them."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError(f'not an IP address or CIDR range; got "{value}"') from None
