"""`[blocklists]` and an environment's sending paths → the blocklist check's Config.

What one environment is looked up as:
    IPs       the environment's `sending_ips` and its domain's (explicit: always queried);
              the connecting IP the receiver recorded in the newest stored canary result
              (`evidence["connecting_ip"]`; discovered: only when globally routable);
              with `spf_hosts`, the ip4/ip6 hosts of the domain's SPF tree (discovered)
    domains   the environment's domain, the From address's domain, and the envelope
              (`smtp.mailfrom`) domain the receiver reported for the newest canary

The answer cache and rate limiters (`QueryBudget`) come from the caller's long-lived state
(the daemon's `App`), so a daemon asks each list once per TTL, not once per run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from checks.blocklists.budget import QueryBudget
from checks.blocklists.catalogue import CATALOGUE, DEFAULT_LISTS, ListSpec, code_table
from checks.blocklists.check import BlocklistConfig
from checks.result import CheckResult
from monitor.config import Settings
from monitor.config.blocklists import BlocklistsSettings, ListSettings
from monitor.wiring.secrets import read_secret

__all__ = ["BUDGET_KEY", "blocklist_check_config", "canary_facts", "list_specs"]

BUDGET_KEY = "blocklists.budget"
_MAILFROM = re.compile(r"\bsmtp\.mailfrom=(?:\"[^\"]*\"|[^\s;()]+)", re.IGNORECASE)


def list_specs(
    settings: BlocklistsSettings, environ: Mapping[str, str] | None = None
) -> tuple[ListSpec, ...]:
    """The lists to ask, in order: `use`, or every catalogue list then the config's own.

    Raises:
        ConfigError: a list's `key_env` names a variable that is unset or empty.
    """
    names = settings.use or tuple(dict.fromkeys((*DEFAULT_LISTS, *settings.lists)))
    return tuple(_keyed(_spec(name, settings.lists.get(name)), settings, environ) for name in names)


def _keyed(
    spec: ListSpec, settings: BlocklistsSettings, environ: Mapping[str, str] | None
) -> ListSpec:
    override = settings.lists.get(spec.name)
    if override is None or override.key_env is None:
        return spec
    key = read_secret(
        override.key_env, key=f"blocklists.lists.{spec.name}.key_env", environ=environ
    )
    return dataclasses.replace(spec, key=key.strip().rstrip("."))


def _spec(name: str, override: ListSettings | None) -> ListSpec:
    base = CATALOGUE.get(name)
    if override is None:
        assert base is not None  # the config model requires a zone and kind for new lists
        return base
    changes: dict[str, Any] = {
        key: value
        for key, value in override.model_dump(exclude_none=True).items()
        if key not in ("listed", "errors", "key_env")
    }
    if override.listed is not None:
        changes["listed"] = code_table(override.listed)
    if override.errors is not None:
        changes["errors"] = code_table(override.errors)
    if base is None:
        return ListSpec(name=name, **changes)
    return dataclasses.replace(base, **changes)


def canary_facts(result: CheckResult | None) -> tuple[list[str], list[str]]:
    """(connecting IPs, envelope domains) the receiver recorded for a stored canary result."""
    if result is None:
        return [], []
    evidence = result.evidence
    ips = [str(evidence["connecting_ip"])] if evidence.get("connecting_ip") else []
    domains: list[str] = []
    for header in evidence.get("authentication_results") or ():
        value = header.get("value", "") if isinstance(header, Mapping) else ""
        for match in _MAILFROM.finditer(str(value)):
            address = match.group(0).split("=", 1)[1].strip('"')
            domain = address.rpartition("@")[2].rstrip(".").lower()
            if domain and "." in domain:
                domains.append(domain)
    return ips, list(dict.fromkeys(domains))


def blocklist_check_config(
    settings: Settings,
    env_name: str,
    *,
    canary: CheckResult | None = None,
    state: MutableMapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> BlocklistConfig | None:
    """The check's Config for environment `env_name`, or None when `[blocklists]` is off.

    Args:
        canary: the newest stored canary result of the environment, if any.
        state: long-lived state to keep the `QueryBudget` in (a fresh budget when None).
        environ: where `key_env` variables are read (default: the process environment).

    Raises:
        ConfigError: a list's `key_env` names a variable that is unset or empty.
    """
    blocklists = settings.blocklists
    if not blocklists.enabled:
        return None
    env = settings.environments[env_name]
    domain = settings.domain(env.domain)
    budget = QueryBudget() if state is None else state.setdefault(BUDGET_KEY, QueryBudget())
    canary_ips, envelope = canary_facts(canary)
    domains: list[tuple[str, str]] = [(env.domain, "sending_domain")]
    if env.from_address:
        domains.append((env.from_address.rpartition("@")[2].lower(), "from_domain"))
    domains += [(d, "envelope_domain") for d in envelope]
    return BlocklistConfig(
        lists=list_specs(blocklists, environ),
        sending_ips=_unique((*env.sending_ips, *(domain.sending_ips if domain else ()))),
        observed_ips=tuple((ip, "canary") for ip in canary_ips),
        domains=tuple(dict.fromkeys(domains)),
        spf_domains=(env.domain,) if blocklists.spf_hosts else (),
        fcrdns=blocklists.fcrdns,
        max_range_hosts=blocklists.max_range_hosts,
        budget=budget,
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
