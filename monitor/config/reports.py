"""DMARC aggregate and TLS-RPT reports: the mailbox `rua=` names, limits, alert thresholds.

```toml
[[domains.senders]]                     # a service allowed to send as the domain
name = "Mailchimp"
spf_include = "servers.mcsv.net"        # and/or ip_ranges = [...], ptr_suffixes = [...]

[environments.production.reports]       # the rua= mailbox, over IMAP
host = "imap.example.net"
username = "dmarc-reports@example.com"
password_env = "DMARC_IMAP_PASSWORD"

[reports]
max_input_bytes = 26214400              # one file or mail
max_expanded_bytes = 104857600          # all it may expand to (gzip, zip)

[reports.alerts]
failing_source_daily = 10               # messages a day failing DMARC from one source
authorised_pass_share = 0.9             # DMARC pass share of authorised sources
```
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from monitor.config._base import (
    Problems,
    Section,
    plaintext_only_on_loopback,
    validate_domain_name,
    validate_ip_network,
)
from monitor.config.inbox import ImapServerSettings

__all__ = ["ReportAlertSettings", "ReportMailboxSettings", "ReportsSettings", "SenderSettings"]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]
IpNetwork = Annotated[str, AfterValidator(validate_ip_network)]


class SenderSettings(Section):
    """A service authorised to send as the domain, and how to recognise its sources."""

    name: str = Field(min_length=1, max_length=100)
    spf_include: DomainName | None = None
    ip_ranges: tuple[IpNetwork, ...] = ()
    ptr_suffixes: tuple[DomainName, ...] = ()

    @model_validator(mode="after")
    def _recognisable(self) -> SenderSettings:
        if not (self.spf_include or self.ip_ranges or self.ptr_suffixes):
            raise ValueError(
                f'sender "{self.name}" needs spf_include, ip_ranges or ptr_suffixes '
                "to recognise its sources"
            )
        return self


class ReportMailboxSettings(ImapServerSettings):
    """The mailbox the domain's `rua=` (and TLS-RPT `rua=`) deliver to, read over IMAP.

    A message is moved to `processed_folder` once its reports are stored, or to
    `invalid_folder` once its rejection is recorded; never before.
    """

    kind: Literal["imap"] = "imap"
    folder: str = "INBOX"
    processed_folder: str = "processed"
    invalid_folder: str = "invalid"
    batch: int = Field(default=200, ge=1, le=10_000)  # messages per ingest run

    @model_validator(mode="after")
    def _checks(self) -> ReportMailboxSettings:
        problems = Problems("reports")
        if plaintext := plaintext_only_on_loopback(self.host, self.security):
            problems.add(plaintext)
        folders = [f.strip().lower() for f in (self.folder, self.processed_folder)]
        if self.invalid_folder.strip().lower() in folders or len(set(folders)) < 2:
            problems.add("folder, processed_folder and invalid_folder must all differ")
        problems.raise_any()
        return self


class ReportAlertSettings(Section):
    """When report figures page (each rule looks back `lookback_days` from now)."""

    failing_source_daily: int = Field(default=10, ge=1)
    authorised_pass_share: float = Field(default=0.9, ge=0, le=1)
    authorised_min_messages: int = Field(default=100, ge=1)
    silent_reporter_days: int = Field(default=3, ge=1, le=60)
    large_reporter_messages: int = Field(default=1000, ge=1)
    tls_failures_daily: int = Field(default=10, ge=1)
    lookback_days: int = Field(default=3, ge=1, le=30)


class ReportsSettings(Section):
    """Bounds on one input, reverse DNS, and the alert thresholds."""

    max_input_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=1024**3)
    max_expanded_bytes: int = Field(default=100 * 1024 * 1024, ge=1024, le=4 * 1024**3)
    max_members: int = Field(default=20, ge=1, le=1000)
    reverse_dns: bool = True
    reverse_dns_cache: int = Field(default=10_000, ge=0, le=1_000_000)
    alerts: ReportAlertSettings = ReportAlertSettings()
