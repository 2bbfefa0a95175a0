"""Core config sections: database, DNS and the watched domains."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from checks.registry import DOMAIN_CHECKS
from monitor.config._base import (
    Problems,
    Section,
    shorten,
    validate_domain_name,
    validate_ip_network,
)
from monitor.config.blocklists import IpAddress
from monitor.config.database import check_database_url
from monitor.config.reports import SenderSettings

__all__ = [
    "DatabaseSettings",
    "DkimSelector",
    "DnsSettings",
    "DomainExpect",
    "DomainSettings",
    "selector_name_problems",
]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]
IpNetwork = Annotated[str, AfterValidator(validate_ip_network)]
DmarcPolicy = Literal["none", "quarantine", "reject"]
DkimKeyType = Literal["rsa", "ed25519"]


def _registered_check(name: str) -> str:
    if name not in DOMAIN_CHECKS:
        raise ValueError(f'must be one of {", ".join(DOMAIN_CHECKS)}; got "{shorten(name)}"')
    return name


CheckName = Annotated[str, AfterValidator(_registered_check)]


def _nameserver(spec: str) -> str:
    from checks.dns.names import parse_nameserver

    try:
        host, port = parse_nameserver(spec)
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f'must be an IP address with optional ":port"; got "{shorten(spec)}"'
        ) from None
    if not 0 < port < 65536:
        raise ValueError(f'port out of range; got "{shorten(spec)}"')
    return spec


Nameserver = Annotated[str, AfterValidator(_nameserver)]

# RFC 6376 §3.1: a selector is one or more dot-separated DNS labels (letters, digits, hyphens;
# underscores are seen in the wild and accepted). Each label is at most 63 octets (RFC 1035).
_SELECTOR_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def _selector(value: str) -> str:
    labels = value.split(".")
    if any(len(label) > 63 for label in labels):
        raise ValueError(
            "not a valid DKIM selector: a label is longer than 63 characters; "
            f'got "{shorten(value)}"'
        )
    if not all(_SELECTOR_LABEL.match(label) for label in labels):
        raise ValueError(f'not a valid DKIM selector; got "{shorten(value)}"')
    return value


DkimSelector = Annotated[str, AfterValidator(_selector)]


def selector_name_problems(
    selectors: Iterable[str], domain: str | None
) -> Iterator[tuple[int, str]]:
    """(index, problem) for each selector whose `<selector>._domainkey.<domain>` is longer
    than the 253 characters a DNS name can have (nothing when the domain is itself invalid)."""
    from checks.dns.names import to_alabel

    if not domain:
        return
    suffix = f"._domainkey.{to_alabel(domain)}"
    for index, selector in enumerate(selectors):
        length = len(selector) + len(suffix)
        if length > 253:
            problem = (
                f"<selector>{suffix} would be {length} characters, a DNS name has at most "
                f'253; got "{shorten(selector)}"'
            )
            yield index, problem


class DatabaseSettings(Section):
    # Loading resolves it (monitor.config.database_location): relative SQLite paths against
    # the config file's folder; unset, a file per config under $XDG_STATE_HOME/senderwatch.
    url: str = "sqlite:///senderwatch.db"
    # Seconds a run counts as alive after its last heartbeat (renewed every quarter of it);
    # a run silent for longer is marked interrupted by the next command.
    run_lease: int = Field(default=60, ge=2, le=3600)

    @field_validator("url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        check_database_url(value)
        return value


class DnsSettings(Section):
    nameservers: tuple[Nameserver, ...] = ()
    timeout: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=2, ge=0, le=10)
    concurrency: int = Field(default=64, ge=1, le=1024)

    @field_validator("timeout", mode="before")
    @classmethod
    def _int_timeout_is_fine(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class DomainExpect(Section):
    """What the operator promises about a domain; weaker than this is a finding."""

    dmarc_policy: DmarcPolicy | None = None
    spf_includes: tuple[DomainName, ...] = ()
    spf_ip_ranges: tuple[IpNetwork, ...] = ()
    min_dkim_bits: int = Field(default=2048, ge=1024, le=8192)
    dkim_key_types: tuple[DkimKeyType, ...] = ("rsa", "ed25519")


class DomainSettings(Section):
    name: DomainName
    dkim_selectors: tuple[DkimSelector, ...] = ()
    checks: tuple[CheckName, ...] = DOMAIN_CHECKS
    expect: DomainExpect = DomainExpect()
    # the domain's own sending IPs, checked with every environment of the domain (blocklists)
    sending_ips: tuple[IpAddress, ...] = ()
    senders: tuple[SenderSettings, ...] = ()  # services sending as the domain (reports)

    @field_validator("dkim_selectors")
    @classmethod
    def _selector_names_fit(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        problems = Problems("dkim_selectors")
        for index, message in selector_name_problems(value, info.data.get("name")):
            problems.add(message, index)
        problems.raise_any()
        return value
