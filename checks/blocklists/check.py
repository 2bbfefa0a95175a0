"""The `reputation.blocklists` check: is an environment's mail refused before authentication
even matters?

One result per environment (like the relay probe): its sending IPs on IP blocklists (DNSBL,
RFC 5782), its domains on domain blocklists, and forward-confirmed reverse DNS of its sending
IPs (Gmail and Yahoo require it).

Steps:
    1. targets: explicit `sending_ips`; the IP the canary's receiver saw; the `ip4`/`ip6` hosts
       of the SPF tree of each sending domain (discovered addresses only when globally
       routable; `checks.blocklists.targets`); the sending, From and envelope domains;
    2. each IP on each IP list of its family, each domain on each domain list, through the
       process-wide budget (answers cached for their TTL, a rate limit per list);
    3. FCrDNS of each explicit or canary-seen IP (`checks.blocklists.fcrdns`).

Codes: `blocklists.listed` (warning: posture when the baseline had it; a new listing is a
critical drift of `blocklists.<list>.<target>` and pages), `blocklists.list_refused`,
`blocklists.list_unavailable`, `blocklists.unexpected_answer` (could not measure: never a
listing), `fcrdns.missing`, `fcrdns.mismatch` (critical), `fcrdns.generic` (warning),
`fcrdns.unavailable`. docs/blocklists.md has the stored result shape.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from checks.base import CheckContext
from checks.blocklists.budget import QueryBudget
from checks.blocklists.catalogue import ListSpec
from checks.blocklists.fcrdns import FcrdnsResult, check_fcrdns
from checks.blocklists.lookup import Lookup, ask
from checks.blocklists.query import query_name
from checks.blocklists.targets import TargetSet, spf_hosts
from checks.dns.resolver import DnsUnavailable, Resolver
from checks.drift_rules import Order, Rule
from checks.result import CheckResult, Finding, Scalar, Severity, rollup_status

__all__ = ["BlocklistCheck", "BlocklistConfig", "Config"]

CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING
SCHEMA = 1  # version of the stored shape in evidence["blocklists"]
# domains seen in mail rather than configured: they change with the mail, like canary IPs
DISCOVERED_DOMAIN_SOURCES = frozenset({"envelope_domain"})


@dataclasses.dataclass(frozen=True)
class Config:
    """What one environment sends from, and which lists to ask (built by
    `monitor.wiring.blocklists`).

    Attributes:
        lists: the lists to ask, in order.
        sending_ips: addresses the operator listed: always queried, FCrDNS checked.
        observed_ips: (address, source) pairs senderwatch saw (the canary's receiving hop):
            queried and FCrDNS checked only when globally routable.
        domains: (domain, source) pairs for the domain lists.
        spf_domains: domains whose SPF tree's ip4/ip6 hosts are looked up too.
        fcrdns: check forward-confirmed reverse DNS.
        max_range_hosts: largest SPF range expanded into addresses.
        budget: the process-wide answer cache and rate limiters (a fresh one when None).
    """

    lists: tuple[ListSpec, ...] = ()
    sending_ips: tuple[str, ...] = ()
    observed_ips: tuple[tuple[str, str], ...] = ()
    domains: tuple[tuple[str, str], ...] = ()
    spf_domains: tuple[str, ...] = ()
    fcrdns: bool = True
    max_range_hosts: int = 16
    budget: QueryBudget | None = dataclasses.field(default=None, compare=False, repr=False)


BlocklistConfig = Config  # the name `Config` is shadowed inside the check class


class BlocklistCheck:
    """Blocklist listings and reverse DNS of one environment's sending IPs and domains."""

    kind = "reputation"
    scope = "environment"
    name = "blocklists"
    Config = Config
    # A new listing, or reverse DNS that stopped confirming, is mail refused at the door.
    drift_rules = (
        Rule("blocklists.*", Order(("listed", "clean")), CRITICAL),
        Rule("fcrdns.*", Order((("missing", "mismatch"), "generic", "pass")), CRITICAL),
    )

    def run(self, subject: str, config: BlocklistConfig, ctx: CheckContext) -> CheckResult:
        """Look up environment `subject`'s sending IPs and domains."""
        started_at = ctx.clock()
        t0 = time.perf_counter()
        measured = _Measured()
        _measure(config, ctx.resolver, measured)
        return CheckResult(
            check=self.name,
            kind=self.kind,
            subject=subject,
            environment=ctx.environment or subject,
            started_at=started_at,
            duration_s=time.perf_counter() - t0,
            status=rollup_status(measured.findings),
            observations=measured.observations,
            findings=tuple(measured.findings),
            evidence={"blocklists": measured.details},
        )


@dataclasses.dataclass
class _Measured:
    findings: list[Finding] = dataclasses.field(default_factory=list)
    observations: dict[str, Scalar] = dataclasses.field(default_factory=dict)
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


def _measure(config: Config, resolver: Resolver, out: _Measured) -> None:
    budget = config.budget or QueryBudget()
    targets = _targets(config, resolver, out)
    lookups = _ask_lists(config.lists, targets, resolver, budget)
    stable = {t.value for t in targets if t.explicit}
    for lookup in lookups:
        _judge(lookup, out, per_target=lookup.target in stable)
    for spec in config.lists:
        mine = [lk for lk in lookups if lk.spec is spec]
        if any(lk.verdict.status not in ("listed", "clean") for lk in mine):
            continue  # the list could not be read: no verdict to compare
        listed = any(lk.verdict.listed for lk in mine if lk.target not in stable)
        out.observations[f"blocklists.{spec.name}.discovered"] = "listed" if listed else "clean"
    fcrdns = [
        check_fcrdns(resolver, t.value)
        for t in targets.of_kind("ip")
        if config.fcrdns and t.queried and set(t.sources) - {"spf"}
    ]
    stable_ips = {t.value for t in targets.of_kind("ip") if t.explicit}
    for result in fcrdns:
        _judge_fcrdns(result, out, "" if result.ip in stable_ips else "canary")
    out.details.update(
        {
            "schema": SCHEMA,
            "targets": [t.to_dict() for t in targets],
            "skipped_ranges": targets.skipped_ranges,
            "lists": [_list_summary(spec, lookups) for spec in config.lists],
            "results": [lookup.to_dict() for lookup in lookups],
            "listings": [lookup.to_dict() for lookup in lookups if lookup.verdict.listed],
            "fcrdns": [result.to_dict() for result in fcrdns],
            "fcrdns_verdict": _fcrdns_verdict(fcrdns),
        }
    )


def _targets(config: Config, resolver: Resolver, out: _Measured) -> TargetSet:
    targets = TargetSet()
    for ip in config.sending_ips:
        targets.add_ip(ip, "sending_ips", explicit=True)
    for ip, source in config.observed_ips:
        targets.add_ip(ip, source, explicit=False)
    for domain in config.spf_domains:
        try:
            hosts, too_large = spf_hosts(resolver, domain, config.max_range_hosts)
        except DnsUnavailable as exc:
            out.findings.append(
                Finding(
                    "blocklists.spf_unavailable",
                    CRITICAL,
                    f"Could not measure: the SPF tree of {domain} could not be read ({exc}), "
                    "so the addresses it authorises are unknown.",
                    {"domain": domain, "cause": exc.cause},
                    unmeasurable=True,
                )
            )
            continue
        for host in hosts:
            targets.add_ip(host, "spf", explicit=False)
        targets.skipped_ranges += too_large
    for domain, source in config.domains:
        targets.add_domain(domain, source, explicit=source not in DISCOVERED_DOMAIN_SOURCES)
    return targets


def _ask_lists(
    lists: tuple[ListSpec, ...], targets: TargetSet, resolver: Resolver, budget: QueryBudget
) -> list[Lookup]:
    """Every (list, target) pair that applies. A list that did not answer once in this run
    is not asked again: its other targets get the same error without another timeout."""
    lookups: list[Lookup] = []
    for spec in lists:
        down: Lookup | None = None
        for target in targets.of_kind(spec.kind):
            if not target.queried or (target.version == 6 and not spec.ipv6):
                continue
            if down is not None:
                query = query_name(target.value, spec)
                lookups.append(dataclasses.replace(down, target=target.value, query=query))
                continue
            lookup = ask(resolver, budget, spec, target.value)
            if lookup.cause:
                down = lookup
            lookups.append(lookup)
    return lookups


def _judge(lookup: Lookup, out: _Measured, *, per_target: bool) -> None:
    spec, verdict, target = lookup.spec, lookup.verdict, lookup.target
    details = lookup.to_dict()
    if per_target and verdict.status in ("listed", "clean"):
        out.observations[f"blocklists.{spec.name}.{target}"] = verdict.status
    if verdict.listed:
        reason = f" The list says: {verdict.reason}." if verdict.reason else ""
        delist = f" Delisting: {spec.delist_url}" if spec.delist_url else ""
        out.findings.append(
            Finding(
                "blocklists.listed",
                WARNING,
                f"{target} is listed on {spec.name} ({spec.zone}): "
                f"{'; '.join(verdict.meanings)}.{reason}{delist}",
                details,
            )
        )
    elif verdict.status == "error" and not lookup.cause:
        out.findings.append(
            Finding(
                "blocklists.list_refused",
                CRITICAL,
                f"Could not measure: {spec.name} ({spec.zone}) refused the query for {target} "
                f"(answer {', '.join(verdict.codes)}: {'; '.join(verdict.meanings)}). This is "
                "not a listing: use your own recursive resolver or the list's key.",
                details,
                unmeasurable=True,
            )
        )
    elif verdict.status == "error":
        out.findings.append(
            Finding(
                "blocklists.list_unavailable",
                CRITICAL,
                f"Could not measure: {spec.name} ({spec.zone}) did not answer for {target} "
                f"({lookup.cause}); the other lists were asked.",
                details,
                unmeasurable=True,
            )
        )
    elif verdict.status == "unexpected":
        out.findings.append(
            Finding(
                "blocklists.unexpected_answer",
                CRITICAL,
                f"Could not measure: {spec.name} answered {', '.join(verdict.codes)} for "
                f"{target}, which no list uses ({'; '.join(verdict.meanings)}).",
                details,
                unmeasurable=True,
            )
        )


_FCRDNS_FINDINGS = {
    "missing": (
        "fcrdns.missing",
        CRITICAL,
        "{ip} has no PTR record: Gmail and Yahoo refuse or junk mail from it.",
    ),
    "mismatch": (
        "fcrdns.mismatch",
        CRITICAL,
        "The PTR of {ip} ({ptr}) does not resolve back to it: reverse DNS is not "
        "forward-confirmed, which Gmail and Yahoo require.",
    ),
    "generic": (
        "fcrdns.generic",
        WARNING,
        "{ip} has forward-confirmed reverse DNS, but {name} looks like a generic access or "
        "cloud name: receivers score such names as end-user hosts.",
    ),
}


def _judge_fcrdns(result: FcrdnsResult, out: _Measured, seen_by: str) -> None:
    if result.verdict == "error":
        out.findings.append(
            Finding(
                "fcrdns.unavailable",
                CRITICAL,
                f"Could not measure: reverse DNS of {result.ip} could not be looked up "
                f"({result.error}).",
                result.to_dict(),
                unmeasurable=True,
            )
        )
        return
    # a configured IP is its own key; the canary's hop may change with every message (an
    # ESP's pool), so it is one key for whichever IP the receiver saw last
    out.observations[f"fcrdns.{seen_by or result.ip}"] = result.verdict
    if result.verdict in _FCRDNS_FINDINGS:
        code, severity, text = _FCRDNS_FINDINGS[result.verdict]
        message = text.format(ip=result.ip, ptr=", ".join(result.ptr), name=result.confirmed)
        out.findings.append(Finding(code, severity, message, result.to_dict()))


def _list_summary(spec: ListSpec, lookups: list[Lookup]) -> dict[str, Any]:
    mine = [lookup for lookup in lookups if lookup.spec.name == spec.name]
    statuses = [lookup.verdict.status for lookup in mine]
    return {
        "name": spec.name,
        "zone": spec.zone,
        "kind": spec.kind,
        "delist_url": spec.delist_url,
        "asked": len(mine),
        "listed": statuses.count("listed"),
        "status": "error" if {"error", "unexpected"} & set(statuses) else "ok",
    }


def _fcrdns_verdict(results: list[FcrdnsResult]) -> str:
    """The one word the compliance checklist needs: pass, fail, error or not_checked."""
    verdicts = {result.verdict for result in results}
    if not verdicts:
        return "not_checked"
    if verdicts & {"missing", "mismatch"}:
        return "fail"
    if "error" in verdicts:
        return "error"
    return "pass"
