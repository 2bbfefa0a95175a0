"""The root of the configuration tree."""

from __future__ import annotations

from pydantic import Field, model_validator

from monitor.config._base import Section
from monitor.config.alerts import AlertsSettings
from monitor.config.core import DatabaseSettings, DnsSettings, DomainSettings
from monitor.config.environments import EnvironmentSettings

__all__ = ["Settings"]


class Settings(Section):
    database: DatabaseSettings = DatabaseSettings()
    dns: DnsSettings = DnsSettings()
    domains: tuple[DomainSettings, ...] = ()
    environments: dict[str, EnvironmentSettings] = Field(default_factory=dict)
    alerts: AlertsSettings = AlertsSettings()

    @model_validator(mode="after")
    def _domains_unique(self) -> Settings:
        seen: set[str] = set()
        for domain in self.domains:
            if domain.name in seen:
                raise ValueError(f'domain "{domain.name}" is listed twice')
            seen.add(domain.name)
        return self

    def domain(self, name: str) -> DomainSettings | None:
        for domain in self.domains:
            if domain.name == name.lower().rstrip("."):
                return domain
        return None
