"""The MX check: does the domain say where its mail goes, and do those hosts exist?

Steps:
    1. ask MX at the domain; none at all is `mx.missing` (bounces and DMARC reports to the
       domain then depend on the implicit-MX fallback of RFC 5321 §5.1);
    2. a lone `0 .` is a null MX (RFC 7505): the domain declares it receives no mail, which
       is a fact to report, not a fault; a null MX next to other MX records is invalid
       (RFC 7505 §3);
    3. each host must resolve: A first, AAAA only when A is empty, so a healthy host costs
       one query. A host that is a CNAME is flagged (RFC 2181 §10.3).

checkdmarc's MX helpers resolve with their own resolver and cache, so they are not used.
"""

from __future__ import annotations

import dataclasses

from checks.base import CheckContext, DomainTarget
from checks.dns._envelope import Outcome, run_measurement
from checks.dns._lookup import CnameChainBroken, answer_evidence, chase
from checks.dns.resolver import DnsUnavailable, Resolver, to_alabel, to_ulabel
from checks.drift_rules import Rule
from checks.result import CheckResult, Severity

__all__ = ["Config", "MxCheck"]

CRITICAL, WARNING, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


@dataclasses.dataclass(frozen=True)
class Config:
    """The MX check has no settings yet; the dataclass keeps the check contract uniform."""


MxConfig = Config  # the name `Config` is shadowed inside the check class


class MxCheck:
    """Measures a domain's MX records and whether their hosts resolve."""

    kind = "dns"
    scope = "domain"
    name = "mx"
    Config = Config
    drift_rules = (Rule("mx.present", "true", CRITICAL),)

    @classmethod
    def configure(cls, target: DomainTarget) -> MxConfig:
        """This check's settings for one configured domain."""
        return MxConfig()

    def run(self, subject: str, config: MxConfig, ctx: CheckContext) -> CheckResult:
        """Check the MX records of `subject` (U-labels allowed)."""
        domain = to_alabel(subject)
        return run_measurement(
            self.name, subject, ctx, lambda out: _measure(ctx.resolver, domain, out)
        )


def _parse(records: tuple[str, ...]) -> list[tuple[int, str]]:
    """`"10 mx1.example.test."` → (10, "mx1.example.test"); the root `.` becomes ""."""
    entries = []
    for record in records:
        preference, _, host = record.partition(" ")
        entries.append((int(preference), host.strip().rstrip(".").lower()))
    return sorted(entries)


def _measure(resolver: Resolver, domain: str, out: Outcome) -> None:
    shown = to_ulabel(domain)
    answer = resolver.query(domain, "MX")
    out.evidence["mx"] = answer_evidence(answer)
    entries = _parse(answer.records)
    out.observations["mx.present"] = bool(entries)
    if not entries:
        where = "the domain does not exist" if answer.nxdomain else "the domain has none"
        out.add(
            "mx.missing",
            CRITICAL,
            f"No MX record for {shown} ({where}): mail to it relies on the implicit-MX "
            "fallback at best.",
            nxdomain=answer.nxdomain,
        )
        return
    out.observations["mx.hosts"] = ",".join(f"{pref} {host or '.'}" for pref, host in entries)
    hosts = [host for _, host in entries if host]
    if len(hosts) < len(entries):
        if not hosts:
            out.add(
                "mx.null", INFO, f"{shown} publishes a null MX: it receives no mail (RFC 7505)."
            )
            return
        out.add(
            "mx.null_mixed",
            WARNING,
            f"{shown} mixes a null MX with other MX records, which RFC 7505 §3 forbids.",
        )
    out.evidence["hosts"] = {}
    for host in dict.fromkeys(hosts):
        try:
            _resolve_host(resolver, host, out)
        except DnsUnavailable as exc:
            out.unavailable(exc)
        except CnameChainBroken as exc:
            out.evidence["hosts"][host] = [{"name": host, "cname_chain": list(exc.chain)}]
            out.cname_broken(
                exc,
                "mx",
                WARNING,
                "senders never reach an address: mail cannot reach it.",
                host=host,
            )


def _resolve_host(resolver: Resolver, host: str, out: Outcome) -> None:
    answers = [chase(resolver, host, "A")]
    if not answers[0].records:
        answers.append(chase(resolver, host, "AAAA"))
    out.evidence["hosts"][host] = [answer_evidence(a) for a in answers]
    if not any(a.records for a in answers):
        out.add(
            "mx.host_unresolvable",
            WARNING,
            f"MX host {to_ulabel(host)} has no address (A or AAAA): mail cannot reach it.",
            host=host,
            nxdomain=all(a.nxdomain for a in answers),
        )
    elif any(a.cname_chain for a in answers):
        out.add(
            "mx.host_is_cname",
            WARNING,
            f"MX host {to_ulabel(host)} is a CNAME; RFC 2181 §10.3 requires an address record.",
            host=host,
            chain=list(answers[0].cname_chain or answers[-1].cname_chain),
        )
