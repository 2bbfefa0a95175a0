"""An environment's sending path: `[environments.NAME.smtp]` or `[environments.NAME.http]`.

The table's name is the sender kind: `SENDING_PATHS` maps each key of
`checks.canary.senders.SENDERS` to its settings model, and `EnvironmentSettings` has one
optional table per kind (held equal at import, so a sender cannot be registered without its
table, nor a table exist without its sender).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from checks.canary.senders import SENDERS
from monitor.config._base import (
    EnvName,
    HttpUrl,
    Problems,
    Section,
    Security,
    is_loopback_host,
    plaintext_only_on_loopback,
)
from monitor.config.kinds import same_kinds

__all__ = ["SENDING_PATHS", "HttpSendSettings", "SmtpSettings"]


class SmtpSettings(Section):
    """The environment's real relay (submission port with AUTH, or a loopback MTA)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    password_env: EnvName | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)
    verify_certificate: bool = True
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    helo: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> SmtpSettings:
        problems = Problems("smtp")
        if plaintext := plaintext_only_on_loopback(self.host, self.security):
            problems.add(plaintext)
        if self.password_env and not self.username:
            problems.add("password_env is set but username is missing")
        if self.username and not self.password_env:
            problems.add(
                "username is set but password_env is missing: name the environment "
                "variable that holds the relay password"
            )
        if self.client_key_file and not self.client_cert_file:
            problems.add("client_key_file is set but client_cert_file is missing")
        problems.raise_any()
        return self


class HttpSendSettings(Section):
    """An ESP's HTTP send API: the body is a Jinja2 JSON template (see config.example.toml)."""

    url: HttpUrl
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, EnvName] = Field(default_factory=dict)  # header → env var (secrets)
    body_template: str
    timeout: float = Field(default=30.0, gt=0, le=600)
    success_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] = (200, 201, 202)

    @model_validator(mode="after")
    def _checks(self) -> HttpSendSettings:
        from urllib.parse import urlsplit

        from checks.canary.senders.esp_http import BodyTemplateError, check_body_template

        problems = Problems("http")
        parsed = urlsplit(self.url)
        if parsed.scheme == "http" and not is_loopback_host(parsed.hostname or ""):
            problems.add("url must use https (plain http is allowed only for loopback)")
        both = {h.lower() for h in self.headers} & {h.lower() for h in self.headers_env}
        if both:
            problems.add(f"header(s) {', '.join(sorted(both))} set in both headers and headers_env")
        if not self.success_status:
            problems.add("success_status is empty")
        try:
            check_body_template(self.body_template)
        except BodyTemplateError as exc:
            problems.add(exc.text)
        problems.raise_any()
        return self


SENDING_PATHS: dict[str, type[Section]] = same_kinds(
    "checks.canary.senders.SENDERS",
    SENDERS,
    {"smtp": SmtpSettings, "http": HttpSendSettings},
)
"""sender kind (= table name) → settings model; a sender registered without a model (or a
model without a sender) fails here, at import."""
