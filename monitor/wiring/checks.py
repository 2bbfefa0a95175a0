"""Settings → each check's own typed `Config`.

Domain checks: the mapping itself lives in each check (`configure(target)`); this module only
turns the pydantic `DomainSettings` into the checks' plain `DomainTarget`, so `checks` never
imports the config layer and adding a domain check needs no branch here.

Environment checks (one result per environment: the relay probe, blocklists) are built by
`ENVIRONMENT_CHECKS`, check id → builder(settings, environment name, context); a builder
returns None when the environment has nothing for that check (no SMTP relay, blocklists off).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from checks.base import DomainTarget
from checks.result import CheckResult
from monitor.config import Settings
from monitor.config.core import DomainSettings

__all__ = ["ENVIRONMENT_CHECKS", "PlanContext", "check_config", "domain_target"]

LatestResult = Callable[[str, str, str | None], CheckResult | None]


@dataclasses.dataclass(frozen=True)
class PlanContext:
    """What an environment check's builder may use besides the settings.

    Attributes:
        latest_result: (check, subject, environment) → the newest stored measured result
            (the canary's, for the IP its receiver saw); None when there is no database.
        state: state that outlives one run (the daemon's `App.check_state`): the blocklist
            answer cache and rate limiters.
    """

    latest_result: LatestResult | None = None
    state: MutableMapping[str, Any] = dataclasses.field(default_factory=dict)
    environ: Mapping[str, str] | None = None  # where secrets are read (None: os.environ)


def _relay_config(settings: Settings, env_name: str, context: PlanContext) -> Any:
    from monitor.wiring.canary import smtp_check_config

    return smtp_check_config(settings.environments[env_name])


def _blocklists_config(settings: Settings, env_name: str, context: PlanContext) -> Any:
    from monitor.wiring.blocklists import blocklist_check_config

    if not settings.blocklists.enabled:
        return None  # before reading any stored result: plans without blocklists need no DB
    latest = context.latest_result
    canary = latest("canary", env_name, env_name) if latest is not None else None
    return blocklist_check_config(
        settings, env_name, canary=canary, state=context.state, environ=context.environ
    )


ENVIRONMENT_CHECKS: dict[str, Callable[[Settings, str, PlanContext], Any]] = {
    "smtp.smtp": _relay_config,
    "reputation.blocklists": _blocklists_config,
}
"""Environment-scoped check id → its Config builder (held equal to the registry by a test)."""


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
