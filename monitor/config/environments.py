"""Environment sections: where canaries are sent from, how, and where they are read back.

Staging and production each get their own sending path and inbox, so staging can never send
as, or read the proof of, production (`config validate` warns when they share one).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from checks.canary.message import domain_of
from monitor.config._base import Section, validate_domain_name

__all__ = [
    "EnvironmentSettings",
    "HttpSendSettings",
    "InboxSettings",
    "SmtpSettings",
]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]
Security = Literal["tls", "starttls", "none"]
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _same_or_sub(domain: str, parent: str) -> bool:
    """True when `domain` is `parent` or below it (compared in A-labels)."""
    from checks.dns.resolver import to_alabel

    child, top = to_alabel(domain), to_alabel(parent)
    return child == top or child.endswith("." + top)


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses: the only place plaintext is allowed."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _plaintext_only_on_loopback(host: str, security: str) -> None:
    if security == "none" and not is_loopback_host(host):
        raise ValueError(
            f'security = "none" is allowed only for a loopback host; got host "{host}"'
        )


class SmtpSettings(Section):
    """The environment's real relay (submission port with AUTH, or a loopback MTA)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)
    verify_certificate: bool = True
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    helo: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> SmtpSettings:
        _plaintext_only_on_loopback(self.host, self.security)
        if self.password_env and not self.username:
            raise ValueError("password_env is set but username is missing")
        if self.username and not self.password_env:
            raise ValueError(
                "username is set but password_env is missing: name the environment "
                "variable that holds the relay password"
            )
        if self.client_key_file and not self.client_cert_file:
            raise ValueError("client_key_file is set but client_cert_file is missing")
        return self


class HttpSendSettings(Section):
    """An ESP's HTTP send API: the body is a Jinja2 JSON template (see config.example.toml)."""

    url: str
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict)  # header → env var (secrets)
    body_template: str
    timeout: float = Field(default=30.0, gt=0, le=600)
    success_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] = (200, 201, 202)

    @model_validator(mode="after")
    def _checks(self) -> HttpSendSettings:
        from checks.canary.senders import BodyTemplateError, check_body_template

        parsed = urlsplit(self.url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ValueError(f'url must be an http(s) URL; got "{self.url}"')
        if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
            raise ValueError("url must use https (plain http is allowed only for loopback)")
        both = {h.lower() for h in self.headers} & {h.lower() for h in self.headers_env}
        if both:
            raise ValueError(
                f"header(s) {', '.join(sorted(both))} set in both headers and headers_env"
            )
        if not self.success_status:
            raise ValueError("success_status is empty")
        try:
            check_body_template(self.body_template)
        except BodyTemplateError as exc:
            raise ValueError(exc.text) from None
        return self


class InboxSettings(Section):
    """The test inbox the canary must arrive in, and whose receiver we trust."""

    kind: Literal["imap", "maildir"] = "imap"
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "tls"
    username: str | None = None
    password_env: str | None = None
    folder: str = "INBOX"
    path: str | None = None  # maildir root
    after: Literal["delete", "move"] = "delete"
    move_to: str = "senderwatch-processed"
    idle: bool = True
    poll_interval: float = Field(default=5.0, gt=0, le=600)
    timeout: float = Field(default=30.0, gt=0, le=600)  # one IMAP socket operation
    verify_certificate: bool = True
    ca_file: str | None = None
    trusted_authserv_ids: tuple[str, ...] = ()
    receiver: Literal["generic", "microsoft365"] = "generic"

    @model_validator(mode="after")
    def _checks(self) -> InboxSettings:
        if self.kind == "imap":
            if not self.host:
                raise ValueError('host is required for kind = "imap"')
            if not self.username or not self.password_env:
                raise ValueError('username and password_env are required for kind = "imap"')
            _plaintext_only_on_loopback(self.host, self.security)
        if self.kind == "maildir" and not self.path:
            raise ValueError('path is required for kind = "maildir"')
        if self.after == "move" and self.move_to.strip().lower() == self.folder.strip().lower():
            raise ValueError("move_to is the watched folder itself: canaries would never leave")
        if not self.trusted_authserv_ids and self.receiver == "generic":
            raise ValueError(
                "trusted_authserv_ids is empty: name the receiver's authserv-id(s); "
                "an Authentication-Results header from anyone else is never trusted"
            )
        return self


class EnvironmentSettings(Section):
    """One sending environment (staging, production, ...)."""

    domain: DomainName
    from_address: str | None = Field(default=None, alias="from")
    to: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    timeout: float = Field(default=300.0, gt=0, le=86400)
    latency_warn: float = Field(default=120.0, gt=0)
    list_unsubscribe: str | None = None
    smtp: SmtpSettings | None = None
    http: HttpSendSettings | None = None
    inbox: InboxSettings | None = None

    @model_validator(mode="after")
    def _one_sending_path(self) -> EnvironmentSettings:
        if self.smtp is not None and self.http is not None:
            raise ValueError("set either smtp or http as the sending path, not both")
        canary_parts = (self.smtp or self.http, self.inbox, self.from_address, self.to)
        if any(canary_parts) and not all(canary_parts):
            raise ValueError("a canary needs from, to, a sending path (smtp or http) and an inbox")
        for key, value in (("from", self.from_address), ("to", self.to)):
            if value and not _ADDRESS.match(value):
                raise ValueError(f'{key} must be an email address; got "{value}"')
        if self.from_address and not _same_or_sub(domain_of(self.from_address), self.domain):
            raise ValueError(
                f'from "{self.from_address}" is not at domain "{self.domain}" or a subdomain: '
                "the canary would not prove this domain's authentication"
            )
        return self

    @property
    def canary_configured(self) -> bool:
        return self.inbox is not None
