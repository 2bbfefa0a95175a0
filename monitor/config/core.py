"""Core config sections: database, DNS and the watched domains."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from checks.dns.resolver import parse_nameserver
from checks.registry import DOMAIN_CHECKS
from monitor.config._base import Section, validate_domain_name, validate_ip_network

__all__ = ["DatabaseSettings", "DnsSettings", "DomainExpect", "DomainSettings"]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]
IpNetwork = Annotated[str, AfterValidator(validate_ip_network)]
DmarcPolicy = Literal["none", "quarantine", "reject"]
DkimKeyType = Literal["rsa", "ed25519"]


def _registered_check(name: str) -> str:
    if name not in DOMAIN_CHECKS:
        raise ValueError(f'must be one of {", ".join(DOMAIN_CHECKS)}; got "{name}"')
    return name


CheckName = Annotated[str, AfterValidator(_registered_check)]


class DatabaseSettings(Section):
    # Loading resolves it (monitor.config.database_location): relative SQLite paths against
    # the config file's folder; unset, a file per config under $XDG_STATE_HOME/senderwatch.
    url: str = "sqlite:///senderwatch.db"
    # Seconds a run counts as alive after its last heartbeat (renewed every quarter of it);
    # a run silent for longer is marked interrupted by the next command.
    run_lease: int = Field(default=60, ge=2, le=3600)

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(f'not a SQLAlchemy database URL; got "{value}"') from None
        return value


class DnsSettings(Section):
    nameservers: tuple[str, ...] = ()
    timeout: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=2, ge=0, le=10)
    concurrency: int = Field(default=64, ge=1, le=1024)

    @field_validator("timeout", mode="before")
    @classmethod
    def _int_timeout_is_fine(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("nameservers")
    @classmethod
    def _nameservers_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for spec in value:
            try:
                host, port = parse_nameserver(spec)
                ipaddress.ip_address(host)
            except ValueError:
                raise ValueError(
                    f'must be an IP address with optional ":port"; got "{spec}"'
                ) from None
            if not 0 < port < 65536:
                raise ValueError(f'port out of range; got "{spec}"')
        return value


class DomainExpect(Section):
    """What the operator promises about a domain; weaker than this is a finding."""

    dmarc_policy: DmarcPolicy | None = None
    spf_includes: tuple[DomainName, ...] = ()
    spf_ip_ranges: tuple[IpNetwork, ...] = ()
    min_dkim_bits: int = Field(default=2048, ge=1024, le=8192)
    dkim_key_types: tuple[DkimKeyType, ...] = ("rsa", "ed25519")


class DomainSettings(Section):
    name: DomainName
    dkim_selectors: tuple[str, ...] = ()
    checks: tuple[CheckName, ...] = DOMAIN_CHECKS
    expect: DomainExpect = DomainExpect()

    @field_validator("dkim_selectors")
    @classmethod
    def _selectors_are_labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for sel in value:
            if not sel or any(not part for part in sel.split(".")) or " " in sel:
                raise ValueError(f'not a valid DKIM selector; got "{sel}"')
        return value
