"""The SPF check (RFC 7208): record selection, strict grammar, the full lookup tree, limits.

What it answers for a domain: is there exactly one SPF record; does it parse; how many DNS
lookups and void lookups does evaluation cost (per term, through every include and redirect);
how does it end (`-all`, `~all`, `?all`, `+all`, nothing); are the expected includes and IP
ranges in it. A DNS failure anywhere makes the result ERROR ("could not measure"), never
"missing" (checkdmarc #90). `explain_ip` answers the other question, "why did this relay
fail?", by running check_host() for one concrete IP.

Layout: `_spf_macro` (macros, §7) → `_spf_grammar` (terms, §4.5-§6) → `_spf_tree` (walk and
counts, §4.6.4) → `_spf_report` (findings, observations) → this module (selection, envelope);
`_spf_eval` is check_host() for `explain_ip`. docs/spf.md explains why the walk is ours.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import idna

from checks.base import CheckContext, DomainTarget
from checks.dns._envelope import Outcome, run_measurement
from checks.dns._spf_explain import explain
from checks.dns._spf_grammar import is_spf_record, looks_like_spf, parse_record
from checks.dns._spf_report import (
    Expectations,
    authorised_networks,
    expected_findings,
    include_targets,
    tree_findings,
    tree_observations,
)
from checks.dns._spf_tree import valid_domain, walk
from checks.dns.resolver import Answer, DnsUnavailable, name_problem, to_alabel, to_ulabel
from checks.drift_rules import CRITICAL, WARNING, Order, Rule
from checks.result import CheckResult, Finding, Severity

__all__ = ["Config", "SpfCheck", "explain_ip"]

MAX_ANSWER_OCTETS = 450  # §3.4: keep the answer within a 512-octet UDP reply
# One pool for every SPF run in the process, not one per run: starting threads cost more
# CPU than the whole check (measured on the 2,000-domain benchmark), and a check runs many
# times. Its tasks are leaf DNS queries that never wait on the pool, so sharing cannot
# deadlock; it holds no data between runs (the per-run Resolver is the only cache).
_POOL_WORKERS = 64
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> Executor:
    global _pool  # noqa: PLW0603 - created once, on first use
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_POOL_WORKERS, thread_name_prefix="spf-dns")
        return _pool


# Observations still true when part of the tree could not be measured (they come from the
# queried record itself); the rest would be guesses, and drift must not compare guesses.
_MEASURED_WITHOUT_TREE = ("spf.present", "spf.ip4", "spf.ip6")


@dataclasses.dataclass(frozen=True)
class Config:
    """What this domain's SPF must contain, and the limits to hold it to.

    Attributes:
        expected_includes: include/redirect targets that must appear anywhere in the tree.
        expected_ip_ranges: CIDR ranges that ip4:/ip6: terms (anywhere in the tree, under
            pass-qualified includes) must authorise.
        max_lookups: DNS-costing terms allowed per evaluation (§4.6.4: 10).
        max_void_lookups: void lookups allowed (§4.6.4: SHOULD be 2).
    """

    expected_includes: tuple[str, ...] = ()
    expected_ip_ranges: tuple[str, ...] = ()
    max_lookups: int = 10
    max_void_lookups: int = 2


_Config = Config  # `Config` is also a class attribute of SpfCheck, which shadows it there


class SpfCheck:
    """The `dns.spf` check: one domain's SPF posture as findings and drift observations."""

    kind = "dns"
    scope = "domain"
    name = "spf"
    Config = Config
    # RFC 7208 §4.7: no `all` at all is the same as ?all
    drift_rules = (
        Rule("spf.all", Order(("+all", ("?all", "none"), "~all", "-all")), CRITICAL),
        Rule("spf.present", "true", CRITICAL),
        Rule("spf.expected_include.*", "true", CRITICAL),
        Rule("spf.expected_ip_range.*", "true", CRITICAL),
        Rule("spf.within_limits", "true", CRITICAL),
        Rule("spf.include.*", "neutral", WARNING),  # critical only via spf.expected_include.*
    )

    @classmethod
    def configure(cls, target: DomainTarget) -> _Config:
        """This check's settings for one configured domain."""
        return _Config(
            expected_includes=target.spf_includes, expected_ip_ranges=target.spf_ip_ranges
        )

    def run(self, subject: str, config: _Config, ctx: CheckContext) -> CheckResult:
        """Measure `subject`'s SPF (a domain, U-labels allowed) through `ctx.resolver`.

        The shared envelope times the run, rolls the status up and turns a record query DNS
        could not answer into the same `dns.<cause>` finding every DNS check reports.
        """
        return run_measurement(
            self.name, subject, ctx, lambda out: _measure(subject, config, ctx.resolver, out)
        )


def _measure(subject: str, config: Config, resolver: Any, out: Outcome) -> None:
    """Fill `out`; a `DnsUnavailable` for the record itself escapes to the envelope."""
    try:
        name = to_alabel(subject)
    except idna.IDNAError as exc:
        name, problem = "", str(exc)
    else:
        unaskable = name_problem(name) if name else None
        if valid_domain(name):
            problem = ""
        else:
            problem = str(unaskable) if unaskable else "not a multi-label domain name"
    if problem:
        out.findings.append(
            Finding(
                code="dns.invalid_name",
                severity=Severity.CRITICAL,
                message=f"Cannot query SPF for {subject!r}: {problem}",
                details={"subject": subject},
                unmeasurable=True,
            )
        )
        return
    out.evidence["queried"] = name
    pool = _shared_pool()
    spf_rr = pool.submit(_spf_rr_records, resolver, name)  # asked while the tree is walked
    answer = resolver.txt(name)  # DnsUnavailable: the envelope records "could not measure"
    _select_and_walk(name, answer, config, resolver=resolver, pool=pool, out=out)
    rr_records = spf_rr.result()
    if rr_records:
        out.findings.append(
            Finding(
                code="spf.rr_type_deprecated",
                severity=Severity.WARNING,
                message=f"{to_ulabel(name)} still publishes the SPF RR type (99), which "
                "RFC 7208 removed (§3.1, §14.1); receivers read only TXT. Delete it, or it "
                "drifts out of step with the TXT record.",
                details={"records": list(rr_records)},
            )
        )
        out.evidence["spf_rr_type"] = list(rr_records)
    if any(f.unmeasurable for f in out.findings):
        out.observations = {
            k: v for k, v in out.observations.items() if k in _MEASURED_WITHOUT_TREE
        }


def _spf_rr_records(resolver: Any, name: str) -> tuple[str, ...]:
    """Records of the obsolete SPF type; a server that errors on type 99 is ignored."""
    try:
        answer: Answer = resolver.query(name, "SPF")
    except DnsUnavailable:
        return ()
    return answer.records


def _answer_octets(answer: Answer) -> int:
    """Size of the TXT RDATA in the answer: each string plus its length octet."""
    return sum(len(s.encode("utf-8")) + 1 for strings in answer.strings for s in strings)


def _select_and_walk(
    name: str, answer: Answer, config: Config, *, resolver: Any, pool: Executor, out: Outcome
) -> None:
    """§4.5 selection on the queried name, then the tree, findings and observations."""
    shown = to_ulabel(name)
    found = [
        (record, strings)
        for record, strings in zip(
            answer.records, answer.strings or [()] * len(answer.records), strict=True
        )
        if is_spf_record(record)
    ]
    expect = Expectations.from_config(config.expected_includes, config.expected_ip_ranges)
    octets = _answer_octets(answer)
    if octets > MAX_ANSWER_OCTETS:
        out.findings.append(
            Finding(
                code="spf.record_too_long",
                severity=Severity.WARNING,
                message=f"The TXT answer at {shown} is {octets} octets; above about "
                f"{MAX_ANSWER_OCTETS} it may not fit a UDP reply and needs TCP, which "
                "some servers and middleboxes refuse (§3.4).",
                details={"octets": octets, "limit": MAX_ANSWER_OCTETS},
            )
        )
    if len(found) != 1:
        _no_single_record(name, answer, found, expect, out)
        return
    text, strings = found[0]
    out.evidence["record"] = text
    out.evidence["strings"] = list(strings)
    tree = walk(name, parse_record(text), tuple(strings), resolver, pool)
    out.evidence["tree"] = tree.root.to_dict()
    out.evidence["lookups"] = tree.lookups
    out.evidence["void_lookups"] = tree.voids
    out.findings.extend(tree_findings(tree, config.max_lookups, config.max_void_lookups))
    out.observations.update(tree_observations(tree, config.max_lookups, config.max_void_lookups))
    findings, observations = expected_findings(
        expect, include_targets(tree), authorised_networks(tree), shown
    )
    out.findings.extend(findings)
    out.observations.update(observations)


def _no_single_record(
    name: str,
    answer: Answer,
    found: list[tuple[str, tuple[str, ...]]],
    expect: Expectations,
    out: Outcome,
) -> None:
    shown = to_ulabel(name)
    if found:
        out.evidence["records"] = [record for record, _ in found]
        out.findings.append(
            Finding(
                code="spf.multiple_records",
                severity=Severity.CRITICAL,
                message=f"{shown} publishes {len(found)} SPF records; receivers return "
                "permerror (§4.5). Merge them into one.",
                details={"domain": name, "records": [record for record, _ in found]},
            )
        )
    else:
        near = [r for r in answer.records if looks_like_spf(r)]
        hint = f" (ignored, not 'v=spf1' plus a space: {near})" if near else ""
        out.findings.append(
            Finding(
                code="spf.missing",
                severity=Severity.CRITICAL,
                message=f"{shown} publishes no SPF record{hint}; receivers get 'none'.",
                details={"domain": name, "nxdomain": answer.nxdomain, "near_misses": near},
            )
        )
        out.evidence["txt_records"] = list(answer.records)
        out.observations.update(
            {
                "spf.all": "none",
                "spf.lookups": 0,
                "spf.void_lookups": 0,
                "spf.within_limits": True,
                "spf.ip4": "",
                "spf.ip6": "",
            }
        )
    out.observations["spf.present"] = bool(found)
    findings, observations = expected_findings(expect, set(), [], shown)
    out.findings.extend(findings)
    out.observations.update(observations)


def explain_ip(
    domain: str,
    ip: str,
    resolver: Any,
    *,
    sender: str | None = None,
    helo: str | None = None,
    max_lookups: int = 10,
    max_void_lookups: int = 2,
) -> dict[str, Any]:
    """Evaluate check_host() (RFC 7208 §4-§5) for one client IP and explain the result.

    Macros are expanded for this client (%{i} %{ir} %{d} %{s} %{l} %{o} %{h} %{v} ...).

    Args:
        domain: the MAIL FROM (or HELO) domain; U-labels allowed.
        ip: the relay's address, IPv4 or IPv6.
        resolver: a `checks.dns.resolver.Resolver`.
        sender: MAIL FROM address for %{s}/%{l}/%{o}; default `postmaster@<domain>`.
        helo: HELO/EHLO name for %{h}; default `domain`.

    Returns:
        {"result": pass|fail|softfail|neutral|none|permerror|temperror,
         "matched": "<term> in the SPF record of <domain>: \\"<record>\\"" or None,
         "explanation": prose, e.g. which mechanism would have to match,
         "lookups", "void_lookups", "trace", "domain", "ip", "sender"}.

    Raises:
        ValueError: `ip` is not an IP address.
    """
    address = ipaddress.ip_address(ip.strip())
    try:
        name = to_alabel(domain)
    except idna.IDNAError:
        name = domain  # not a valid name: check_host() gives 'none' (§4.3)
    return explain(
        name,
        address,
        resolver,
        sender=sender if sender is not None else f"postmaster@{name}",
        helo=helo or name,
        max_lookups=max_lookups,
        max_void_lookups=max_void_lookups,
    )
