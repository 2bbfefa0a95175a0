"""The root of the configuration tree."""

from __future__ import annotations

from pydantic import Field, field_validator

from monitor.config._base import Problems, Section
from monitor.config.alerts import AlertsSettings
from monitor.config.blocklists import BlocklistsSettings
from monitor.config.core import DatabaseSettings, DnsSettings, DomainSettings
from monitor.config.daemon import DaemonSettings
from monitor.config.daemon_http import HttpSettings
from monitor.config.environments import EnvironmentSettings
from monitor.config.reports import ReportsSettings

__all__ = ["Settings"]


class Settings(Section):
    database: DatabaseSettings = DatabaseSettings()
    dns: DnsSettings = DnsSettings()
    domains: tuple[DomainSettings, ...] = ()
    environments: dict[str, EnvironmentSettings] = Field(default_factory=dict)
    alerts: AlertsSettings = AlertsSettings()
    api: HttpSettings = HttpSettings()
    daemon: DaemonSettings = DaemonSettings()
    blocklists: BlocklistsSettings = BlocklistsSettings()
    reports: ReportsSettings = ReportsSettings()

    @field_validator("domains")
    @classmethod
    def _domains_unique(cls, domains: tuple[DomainSettings, ...]) -> tuple[DomainSettings, ...]:
        problems = Problems("domains")
        first: dict[str, int] = {}
        for index, domain in enumerate(domains):
            if domain.name in first:
                problems.add(
                    f'domain "{domain.name}" is listed twice '
                    f"(domains[{first[domain.name]}] and domains[{index}])"
                )
            first.setdefault(domain.name, index)
        problems.raise_any()
        return domains

    def domain(self, name: str) -> DomainSettings | None:
        for domain in self.domains:
            if domain.name == name.lower().rstrip("."):
                return domain
        return None
