"""Domain settings → each check's own typed `Config`.

The mapping itself lives in each check (`configure(target)`); this module only turns the
pydantic `DomainSettings` into the checks' plain `DomainTarget`, so `checks` never imports
the config layer and adding a check needs no branch here.
"""

from __future__ import annotations

from typing import Any

from checks.base import DomainTarget
from monitor.config.core import DomainSettings

__all__ = ["check_config", "domain_target"]


def domain_target(domain: DomainSettings, selectors: tuple[str, ...] | None = None) -> DomainTarget:
    """The domain as the checks see it; `selectors` overrides the domain's own (an
    environment may sign with other selectors than the domain lists)."""
    expect = domain.expect
    return DomainTarget(
        name=domain.name,
        dkim_selectors=domain.dkim_selectors if selectors is None else selectors,
        dmarc_policy=expect.dmarc_policy,
        spf_includes=expect.spf_includes,
        spf_ip_ranges=expect.spf_ip_ranges,
        min_dkim_bits=expect.min_dkim_bits,
        dkim_key_types=expect.dkim_key_types,
    )


def check_config(cls: type, target: DomainTarget) -> Any:
    """`cls.Config` for one domain, built by the check's own `configure`."""
    return cls.configure(target)  # type: ignore[attr-defined]
