"""The plan: settings → the list of checks to run now, each with its typed config.

`checks` stays a leaf: each check defines its frozen `Config` and builds it from the domain
(`configure`); this module only decides which checks run for which subject.

Which checks run:
- no `env`: every configured domain (or those named in `domains`), `environment=None`;
- `env=E`: the checks of environment E's domain plus its environment checks (subject E:
  the relay probe `smtp`, `blocklists` when enabled; `monitor.wiring.checks.ENVIRONMENT_CHECKS`),
  with `environment=E` on every result and
  E's own `dkim_selectors` when it lists any (staging may sign with other selectors). If E's
  domain has no `[[domains]]` entry, it gets the defaults: every DNS check, no expectations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from checks.registry import CHECKS
from monitor.config import Settings
from monitor.config.core import DomainSettings
from monitor.errors import UsageError
from monitor.wiring.checks import ENVIRONMENT_CHECKS, PlanContext, check_config, domain_target

__all__ = ["CheckSpec", "PlanError", "build_plan", "default_registry"]


class PlanError(UsageError):
    """The request cannot be planned (unknown domain or environment, nothing to check)."""


@dataclasses.dataclass(frozen=True, slots=True)
class CheckSpec:
    """One check to run: registry key, subject, environment and the check's own Config.

    `deadline_s` overrides the runner's default deadline, which is sized for DNS checks. A
    check class whose natural duration is longer says so with `deadline_s(config) -> float`
    (the relay probe `smtp.smtp`, from its socket timeout); `build_plan` asks it. The canary
    round trip is not run by the runner: its own inbox `timeout` bounds it.
    """

    check_id: str
    subject: str
    environment: str | None
    config: Any
    deadline_s: float | None = None


def build_plan(
    settings: Settings,
    *,
    domains: Sequence[str] | None = None,
    env: str | None = None,
    registry: Mapping[str, type] | None = None,
    context: PlanContext | None = None,
) -> list[CheckSpec]:
    """The checks to run for this request, domain by domain in config order.

    Args:
        settings: the validated configuration.
        domains: only these domains (names as in the config); None for all.
        env: plan for this environment's domain instead (see the module docstring).
        registry: check classes by id; default `checks.registry.CHECKS`.
        context: stored results and long-lived state for environment checks (the
            services pass the App's); default: none.

    Raises:
        PlanError: unknown domain or environment, or nothing to check.
    """
    if registry is None:
        registry = default_registry()
    if env is not None and domains:
        raise PlanError("give either --env or --domain, not both (--env implies its domain)")
    targets = _targets(settings, domains, env)
    specs = []
    for domain, selectors in targets:
        for name in domain.checks:
            check_id = f"dns.{name}"
            cls = registry.get(check_id)
            if cls is None:
                raise PlanError(f"domain {domain.name}: no check registered as {check_id!r}")
            config = check_config(cls, domain_target(domain, selectors))
            specs.append(CheckSpec(check_id, domain.name, env, config, _deadline(cls, config)))
    if env is not None:
        specs.extend(_environment_specs(settings, env, registry, context or PlanContext()))
    if not specs:
        raise PlanError("nothing to check: the config lists no domains (add [[domains]])")
    return specs


def _environment_specs(
    settings: Settings, env: str, registry: Mapping[str, type], context: PlanContext
) -> list[CheckSpec]:
    """The environment's own checks whose builder has something to check: the relay probe
    when it sends through SMTP (STARTTLS gone, a certificate about to expire, caught before a
    canary send fails), blocklists and reverse DNS when `[blocklists]` is enabled."""
    specs = []
    for check_id, build in ENVIRONMENT_CHECKS.items():
        cls = registry.get(check_id)
        if cls is None:
            continue
        config = build(settings, env, context)
        if config is not None:
            specs.append(CheckSpec(check_id, env, env, config, _deadline(cls, config)))
    return specs


def _deadline(cls: type, config: Any) -> float | None:
    """The check's own deadline for this config, or None for the runner's default."""
    own = getattr(cls, "deadline_s", None)
    return float(own(config)) if callable(own) else None


def _targets(
    settings: Settings, domains: Sequence[str] | None, env: str | None
) -> list[tuple[DomainSettings, tuple[str, ...]]]:
    if env is not None:
        environment = settings.environments.get(env)
        if environment is None:
            known = ", ".join(sorted(settings.environments)) or "none configured"
            raise PlanError(f"unknown environment {env!r} (environments: {known})")
        domain = settings.domain(environment.domain) or DomainSettings(name=environment.domain)
        return [(domain, environment.dkim_selectors or domain.dkim_selectors)]
    if not domains:
        return [(d, d.dkim_selectors) for d in settings.domains]
    targets = []
    for name in domains:
        found = settings.domain(name)
        if found is None:
            known = ", ".join(d.name for d in settings.domains) or "none configured"
            raise PlanError(f"unknown domain {name!r} (domains: {known})")
        targets.append((found, found.dkim_selectors))
    return targets


def default_registry() -> Mapping[str, type]:
    """The checks registry (`checks.registry.CHECKS`)."""
    return CHECKS
