"""`[blocklists]`: which blocklists to ask about the sending paths, and how politely.

Off until `enabled = true`: the lists are third-party services with usage terms, and most
refuse queries that arrive through public resolvers (8.8.8.8, 1.1.1.1), so they need the
operator's own recursive resolver in `[dns] nameservers` (docs/blocklists.md).

    [blocklists]
    enabled = true
    use = ["spamhaus-zen", "spamhaus-dbl"]      # default: every catalogue list + your own
    [blocklists.lists.spamhaus-zen]            # change a catalogue entry ...
    rate_limit = 2.0
    [blocklists.lists.spamhaus-dqs-zen]        # a subscription: the key from a variable
    zone = "zen.dq.spamhaus.net"
    kind = "ip"
    key_env = "SPAMHAUS_DQS_KEY"               # queries go to <key>.zen.dq.spamhaus.net
    [blocklists.lists.corp-bl]                 # ... or add a list of your own
    zone = "bl.corp.example"
    kind = "ip"
    listed = { "127.0.0.2" = "listed by the corporate list" }
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from monitor.config._base import EnvName, Problems, Section, shorten, validate_domain_name

__all__ = ["BlocklistsSettings", "IpAddress", "ListSettings", "validate_ip_address"]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]


def validate_ip_address(value: str) -> str:
    """One IPv4 or IPv6 address (no range: a sending IP is one host), normalised."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f'not an IP address; got "{shorten(value)}"') from None


IpAddress = Annotated[str, AfterValidator(validate_ip_address)]


def _return_codes(codes: dict[str, str]) -> dict[str, str]:
    problems = Problems("return codes")
    for key in codes:
        try:
            network = ipaddress.IPv4Network(key, strict=False)
        except ValueError:
            problems.add(f'not an IPv4 address or network; got "{shorten(key)}"', key)
            continue
        if not network.subnet_of(ipaddress.IPv4Network("127.0.0.0/8")):
            problems.add(f"return codes are in 127.0.0.0/8 (RFC 5782 §2.1); got {key}", key)
    problems.raise_any()
    return codes


ReturnCodes = Annotated[dict[str, str], AfterValidator(_return_codes)]


class ListSettings(Section):
    """One list: every key overrides the catalogue entry of the same name; a new list needs
    at least `zone` and `kind`."""

    zone: DomainName | None = None
    kind: Literal["ip", "domain"] | None = None
    listed: ReturnCodes | None = None
    errors: ReturnCodes | None = None
    bitmask: bool | None = None
    delist_url: str | None = None
    ipv6: bool | None = None
    rate_limit: float | None = Field(default=None, gt=0, le=1000)
    burst: int | None = Field(default=None, ge=1, le=1000)
    # The variable holding the list's query key (Spamhaus DQS): queries go to <key>.<zone>.
    key_env: EnvName | None = None


class BlocklistsSettings(Section):
    enabled: bool = False
    use: tuple[str, ...] | None = None
    lists: dict[str, ListSettings] = Field(default_factory=dict)
    fcrdns: bool = True
    spf_hosts: bool = True
    max_range_hosts: int = Field(default=16, ge=1, le=256)

    @model_validator(mode="after")
    def _lists_are_complete(self) -> BlocklistsSettings:
        from checks.blocklists.catalogue import CATALOGUE

        problems = Problems("blocklists")
        for name, entry in self.lists.items():
            if name not in CATALOGUE and (entry.zone is None or entry.kind is None):
                problems.add(
                    f'list "{shorten(name)}" is not in the catalogue ('
                    f"{', '.join(CATALOGUE)}): give it a zone and a kind",
                    "lists",
                    name,
                )
        for index, name in enumerate(self.use or ()):
            if name not in CATALOGUE and name not in self.lists:
                problems.add(
                    f'unknown list "{shorten(name)}": use a catalogue name '
                    f"({', '.join(CATALOGUE)}) or define it under [blocklists.lists]",
                    "use",
                    index,
                )
        problems.raise_any()
        return self
