"""External report destinations (RFC 7489 §7.1; RFC 9990 §4).

When a `rua`/`ruf` destination's organizational domain differs from the policy domain's, the
destination must publish `<policy-domain>._report._dmarc.<destination-host>` TXT starting with
`v=DMARC1`, or reporters drop the reports. A destination of the same organizational domain
(`reports.example.com` for `example.com`) needs nothing (checkdmarc #21, #23). A DNS wildcard
at the destination answers the exact name by itself, so one query per host is enough.

A failed query is "could not measure", never "not authorised" (checkdmarc #90). A name over 255
octets cannot be asked at all: §7.1 says the reporter then cannot confirm the relationship and
stops, so the destination gets no reports; `problem` says so, as it does for a CNAME chain that
loops or runs too long.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from checks.dns import _checkdmarc
from checks.dns._checkdmarc import ReportUri
from checks.dns._dmarc_discovery import organizational_domain
from checks.dns._lookup import CnameChainBroken, answer_evidence, chase
from checks.dns.resolver import DnsUnavailable, Resolver, UnaskableName, to_alabel

__all__ = ["Destination", "check_destinations"]


@dataclasses.dataclass(frozen=True, slots=True)
class Destination:
    """The verdict on one external destination host."""

    tag: str
    uri: str
    host: str
    asked: str
    authorized: bool
    evidence: dict[str, object]
    problem: UnaskableName | CnameChainBroken | None = None


def _external_hosts(
    policy_domain: str, uris: Iterable[tuple[str, ReportUri]]
) -> dict[str, tuple[str, str]]:
    """Destination hosts outside the policy domain's organization: host → (tag, uri)."""
    org = organizational_domain(policy_domain)
    hosts: dict[str, tuple[str, str]] = {}
    for tag, uri in uris:
        host = to_alabel(uri.host) if uri.host else ""
        if host and host not in hosts and organizational_domain(host) != org:
            hosts[host] = (tag, uri.normalised)
    return hosts


def check_destinations(
    resolver: Resolver, policy_domain: str, uris: Iterable[tuple[str, ReportUri]]
) -> tuple[list[Destination], list[DnsUnavailable]]:
    """Ask each external destination whether it accepts reports about `policy_domain`.

    Args:
        resolver: the run's resolver.
        policy_domain: A-label domain whose `_dmarc` record lists the URIs.
        uris: (tag, uri) pairs from `rua` and `ruf`.

    Returns:
        The verdict per external host, and the questions that could not be answered.
    """
    verdicts: list[Destination] = []
    failures: list[DnsUnavailable] = []
    for host, (tag, uri) in _external_hosts(policy_domain, uris).items():
        asked = f"{policy_domain}._report._dmarc.{host}"
        try:
            answer = chase(resolver, asked, "TXT")
        except DnsUnavailable as exc:
            failures.append(exc)
            continue
        except (UnaskableName, CnameChainBroken) as exc:
            evidence: dict[str, object] = {"name": asked, "type": "TXT", "problem": str(exc)}
            verdicts.append(Destination(tag, uri, host, asked, False, evidence, exc))
            continue
        authorized = any(_checkdmarc.is_dmarc_record(r) for r in answer.records)
        verdicts.append(Destination(tag, uri, host, asked, authorized, answer_evidence(answer)))
    return verdicts, failures
