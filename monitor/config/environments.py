"""Environment sections: where canaries are sent from, how, and where they are read back.

Staging and production each get their own sending path and inbox, so staging can never send
as, or read the proof of, production (`config validate` warns when they share one).
The sending-path tables live in `monitor.config.sending`, the inbox kinds in
`monitor.config.inbox`.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, get_args

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from monitor.config._base import (
    Problems,
    Section,
    is_loopback_host,
    shorten,
    validate_domain_name,
)
from monitor.config.blocklists import IpAddress
from monitor.config.core import DkimSelector, selector_name_problems
from monitor.config.inbox import ImapInboxSettings, InboxSettings, MaildirInboxSettings
from monitor.config.kinds import same_kinds
from monitor.config.reports import ReportMailboxSettings
from monitor.config.sending import SENDING_PATHS, HttpSendSettings, SmtpSettings

__all__ = [
    "EnvironmentSettings",
    "HttpSendSettings",
    "ImapInboxSettings",
    "InboxSettings",
    "MaildirInboxSettings",
    "SmtpSettings",
    "is_loopback_host",
]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f'must be an email address; got "{shorten(value)}"')
    return value


Address = Annotated[str, AfterValidator(_address)]


def _same_or_sub(domain: str, parent: str) -> bool:
    """True when `domain` is `parent` or below it (compared in A-labels)."""
    from checks.dns.names import to_alabel

    child, top = to_alabel(domain), to_alabel(parent)
    return child == top or child.endswith("." + top)


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


class EnvironmentSettings(Section):
    """One sending environment (staging, production, ...)."""

    unknown_table_hint: ClassVar[str] = f"sending paths are: {', '.join(SENDING_PATHS)}"

    domain: DomainName
    from_address: Address | None = Field(default=None, alias="from")
    to: Address | None = None
    dkim_selectors: tuple[DkimSelector, ...] = ()
    timeout: float = Field(default=300.0, gt=0, le=86400)
    latency_warn: float = Field(default=120.0, gt=0)
    list_unsubscribe: str | None = None
    sending_ips: tuple[IpAddress, ...] = ()  # the environment's relay IPs (blocklists, FCrDNS)
    # one optional table per sender kind (`SENDING_PATHS`, held equal below)
    smtp: SmtpSettings | None = None
    http: HttpSendSettings | None = None
    inbox: InboxSettings | None = None
    reports: ReportMailboxSettings | None = None  # the rua= mailbox

    @property
    def sending_paths(self) -> dict[str, Section]:
        """The sending-path tables that are set, by sender kind (at most one once valid)."""
        return {k: v for k in SENDING_PATHS if (v := getattr(self, k)) is not None}

    @property
    def sending_path(self) -> tuple[str, Section] | None:
        """(sender kind, its settings), or None when the environment sends nothing."""
        return next(iter(self.sending_paths.items()), None)

    # Rules between two plain keys are field validators (they see the keys defined before
    # them in `info.data`), so they run even when a nested table below has problems.
    @field_validator("from_address")
    @classmethod
    def _from_at_domain(cls, value: str | None, info: ValidationInfo) -> str | None:
        domain = info.data.get("domain")
        if value and domain and not _same_or_sub(_domain_of(value), domain):
            raise ValueError(
                f'from "{value}" is not at domain "{domain}" or a subdomain: '
                "the canary would not prove this domain's authentication"
            )
        return value

    @field_validator("dkim_selectors")
    @classmethod
    def _selector_names_fit(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        problems = Problems("dkim_selectors")
        for index, message in selector_name_problems(value, info.data.get("domain")):
            problems.add(message, index)
        problems.raise_any()
        return value

    @model_validator(mode="after")
    def _canary_rules(self) -> EnvironmentSettings:
        problems = Problems("environment")
        paths = self.sending_paths
        if len(paths) > 1:
            problems.add(
                f"set either {' or '.join(paths)} as the sending path, not "
                + ("both" if len(paths) == 2 else "several")
            )
        canary_parts = (paths, self.inbox, self.from_address, self.to)
        if any(canary_parts) and not all(canary_parts):
            problems.add(
                "a canary needs from, to, a sending path "
                f"({' or '.join(SENDING_PATHS)}) and an inbox"
            )
        problems.raise_any()
        return self

    @property
    def canary_configured(self) -> bool:
        return self.inbox is not None


def _sending_path_fields() -> dict[str, object]:
    """EnvironmentSettings' optional tables typed with a sending-path model, by field name."""
    return {
        name: model
        for name, field in EnvironmentSettings.model_fields.items()
        for model in get_args(field.annotation)
        if model in SENDING_PATHS.values()
    }


# One optional table per registered sender, named by its kind, and nothing else: a sender
# cannot be registered without its table, nor a table exist without its sender.
if same_kinds("EnvironmentSettings", SENDING_PATHS, _sending_path_fields()) != SENDING_PATHS:
    raise RuntimeError("EnvironmentSettings: a sending-path table has another kind's model")
