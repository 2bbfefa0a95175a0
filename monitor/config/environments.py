"""Environment sections: where canaries are sent from and read back.

The canary issue extends `EnvironmentSettings` with its sending path (smtp, http) and inbox.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from monitor.config._base import Section, validate_domain_name

__all__ = ["EnvironmentSettings"]

DomainName = Annotated[str, AfterValidator(validate_domain_name)]


class EnvironmentSettings(Section):
    """One sending environment (staging, production, ...)."""

    domain: DomainName
    from_address: str | None = Field(default=None, alias="from")
    to: str | None = None
