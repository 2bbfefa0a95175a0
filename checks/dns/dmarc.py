"""The DMARC check (RFC 7489, RFC 9989): is a policy published, and how strong is it?

Steps:
    1. discover the record as RFC 7489 receivers do (domain, then PSL organizational domain)
       and as RFC 9989 receivers do (DNS tree walk); report when the two disagree;
    2. parse it (`_dmarc_record`); a syntax error names the tag and keeps the record text;
    3. judge the policy that applies to the subject: `p` for the domain's own record, `sp` for
       one inherited from the organizational domain;
    4. check reporting: `rua` present, external destinations authorised (`_dmarc_reports`).

Every record is fetched with our resolver (`ctx.resolver`); checkdmarc only lends its pure
parsers through `_checkdmarc`. See docs/dns-checks.md for codes and observations.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.base import CheckContext, DomainTarget
from checks.dns import _checkdmarc
from checks.dns._dmarc_discovery import Discovery, Lookup, discover
from checks.dns._dmarc_record import (
    POLICY_RANK,
    DmarcRecord,
    DmarcSyntaxError,
    parse_dmarc_record,
)
from checks.dns._dmarc_reports import Destination, check_destinations
from checks.dns._envelope import Outcome, run_measurement
from checks.dns._lookup import CnameChainBroken, answer_evidence
from checks.dns.resolver import Resolver, UnaskableName, to_alabel, to_ulabel
from checks.drift_rules import Order, Rule
from checks.result import CheckResult, Severity

__all__ = ["Config", "DmarcCheck"]

CRITICAL, WARNING, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO
DMARC_POLICY = Order(("none", "quarantine", "reject"))


@dataclasses.dataclass(frozen=True)
class Config:
    """DMARC expectations.

    Attributes:
        min_policy: the weakest acceptable policy ("none", "quarantine", "reject"), or None to
            only report what is published.
    """

    min_policy: str | None = None

    def __post_init__(self) -> None:
        if self.min_policy is not None and self.min_policy not in POLICY_RANK:
            raise ValueError(f"min_policy must be none, quarantine or reject: {self.min_policy!r}")


DmarcConfig = Config  # the name `Config` is shadowed inside the check class


class DmarcCheck:
    """Measures a domain's DMARC record; one result per domain."""

    kind = "dns"
    scope = "domain"
    name = "dmarc"
    Config = Config
    # RFC 7489 §6.3; t from RFC 9989: t=y makes receivers apply one step weaker
    drift_rules = (
        Rule("dmarc.p", DMARC_POLICY, CRITICAL),
        Rule("dmarc.sp", DMARC_POLICY, CRITICAL),
        Rule("dmarc.np", DMARC_POLICY, CRITICAL),
        Rule("dmarc.pct", "higher", CRITICAL),
        Rule("dmarc.t", Order((("y", True), ("n", False))), CRITICAL),
        Rule("dmarc.present", "true", CRITICAL),
    )

    @classmethod
    def configure(cls, target: DomainTarget) -> DmarcConfig:
        """This check's settings for one configured domain."""
        return DmarcConfig(min_policy=target.dmarc_policy)

    def run(self, subject: str, config: DmarcConfig, ctx: CheckContext) -> CheckResult:
        """Check `subject` (a domain, U-labels allowed) against `config`."""
        domain = to_alabel(subject)
        return run_measurement(
            self.name, subject, ctx, lambda out: _measure(ctx.resolver, domain, config, out)
        )


def _measure(resolver: Resolver, domain: str, config: Config, out: Outcome) -> None:
    out.versions.update(_checkdmarc.versions())
    found = discover(resolver, domain)
    out.evidence["lookups"] = [_lookup_evidence(lookup) for lookup in found.lookups]
    out.evidence["organizational_domain"] = found.org_domain
    _note_problems(found, out)
    _compare_views(found, out)
    _note_unrelated(found.lookups[0], out)
    lookup = _single_record(found, to_ulabel(domain), out)
    if lookup is None or lookup.record is None:
        return
    try:
        record = parse_dmarc_record(lookup.record)
    except DmarcSyntaxError as exc:
        out.add(
            "dmarc.syntax_error",
            CRITICAL,
            f"The DMARC record at {lookup.name} is invalid ({exc}); receivers ignore it.",
            tag=exc.tag,
            value=exc.value,
            reason=exc.reason,
            name=lookup.name,
        )
        return
    _observe(record, out)
    _judge_policy(record, found.source or "domain", config, to_ulabel(domain), out)
    _judge_reporting(resolver, lookup.domain, record, out)


def _lookup_evidence(lookup: Lookup) -> dict[str, object]:
    evidence = answer_evidence(lookup.answer)
    if lookup.problem is not None:
        evidence["problem"] = str(lookup.problem)
    return evidence


def _note_problems(found: Discovery, out: Outcome) -> None:
    """Names that cannot hold a record, and chains receivers cannot follow, with what each
    means for discovery."""
    own = found.lookups[0]
    for lookup in found.lookups:
        problem = lookup.problem
        if isinstance(problem, UnaskableName):
            if lookup is not own:
                why = "no DMARC record can be published there; the tree walk passes over it."
            elif found.org_domain != found.domain:
                why = (
                    "the domain cannot publish a DMARC record of its own; receivers look for "
                    f"one at _dmarc.{found.org_domain} instead (RFC 7489 §6.6.3)."
                )
            else:
                why = (
                    "the domain cannot publish a DMARC record, and it is its own "
                    "organizational domain: no policy can apply to it."
                )
            out.unaskable(problem, INFO, why)
        elif isinstance(problem, CnameChainBroken):
            if lookup is found.blocked:
                out.cname_broken(
                    problem,
                    "dmarc",
                    CRITICAL,
                    "receivers' resolvers give up, so they read no DMARC policy for "
                    f"{to_ulabel(found.domain)} (a temporary error to them, not a fallback).",
                )
            else:
                out.cname_broken(
                    problem,
                    "dmarc",
                    WARNING,
                    "RFC 9989 receivers walking the DNS tree cannot read a record there.",
                )


def _note_unrelated(own: Lookup, out: Outcome) -> None:
    if own.unrelated:
        out.add(
            "dmarc.unrelated_txt",
            INFO,
            f"{own.name} also holds TXT records that are not DMARC records; they are ignored.",
            name=own.name,
            records=sorted(own.unrelated),
        )


def _single_record(found: Discovery, shown: str, out: Outcome) -> Lookup | None:
    """The lookup holding the one applicable record; findings when there is none or several."""
    lookup = found.legacy
    if lookup is None:
        out.observations["dmarc.present"] = False
        if found.blocked is not None:
            return None  # the broken chain is the finding; "no record" would be wrong
        out.add(
            "dmarc.missing",
            CRITICAL,
            f"No DMARC record for {shown}: receivers apply no policy to mail using its name.",
            asked=[item.name for item in found.lookups],
        )
        return None
    out.observations["dmarc.present"] = True
    out.observations["dmarc.source"] = found.source
    out.evidence["record_name"] = lookup.name
    if lookup.record is None:
        records = sorted(lookup.dmarc)
        out.evidence["records"] = records
        out.add(
            "dmarc.multiple_records",
            CRITICAL,
            f"{lookup.name} holds {len(records)} DMARC records; receivers then apply "
            "none of them (RFC 7489 §6.6.3).",
            name=lookup.name,
            records=records,
        )
        return None
    out.evidence["record"] = lookup.record
    return lookup


def _compare_views(found: Discovery, out: Outcome) -> None:
    """Record the RFC 9989 view; an info finding when it picks another record than RFC 7489."""
    legacy = found.legacy.name if found.legacy and found.legacy.record else None
    bis = found.bis.name if found.bis else None
    out.evidence["rfc9989"] = {"name": bis, "record": found.bis.record if found.bis else None}
    if legacy != bis:
        out.add(
            "dmarc.rfc9989_view_differs",
            INFO,
            f"RFC 9989 receivers (DNS tree walk) use the record at {bis or 'no name'}, "
            f"RFC 7489 receivers (Public Suffix List) the one at {legacy or 'no name'}.",
            rfc7489=legacy,
            rfc9989=bis,
        )


def _observe(record: DmarcRecord, out: Outcome) -> None:
    """The normalised facts drift compares."""
    out.observations.update(
        {
            "dmarc.p": record.effective_p,
            "dmarc.sp": record.effective_sp,
            "dmarc.np": record.effective_np,
            "dmarc.pct": record.effective_pct,
            "dmarc.t": record.t,
            "dmarc.adkim": record.adkim,
            "dmarc.aspf": record.aspf,
            "dmarc.rua": ",".join(sorted({uri.normalised for uri in record.rua})),
            "dmarc.ruf": ",".join(sorted({uri.normalised for uri in record.ruf})),
            "dmarc.fo": record.fo,
        }
    )


def _judge_policy(
    record: DmarcRecord, source: str, config: Config, shown: str, out: Outcome
) -> None:
    """Findings about the policy that applies to the subject and the record's other tags."""
    tag, applied = ("p", record.effective_p) if source == "domain" else ("sp", record.effective_sp)
    if record.p is None:
        out.add("dmarc.p_missing", WARNING, "The record has no p tag; it means p=none.", tag="p")
    if applied == "none":
        out.add(
            "dmarc.policy_none",
            WARNING,
            f"The policy applied to {shown} is none ({tag}=none): failing mail is delivered.",
            tag=tag,
        )
    if config.min_policy and POLICY_RANK[applied] < POLICY_RANK[config.min_policy]:
        out.add(
            "dmarc.policy_below_expected",
            CRITICAL,
            f"The policy applied to {shown} is {applied}; at least {config.min_policy} is "
            "expected.",
            tag=tag,
            policy=applied,
            expected=config.min_policy,
        )
    _judge_subdomain_policies(record, out)
    _judge_other_tags(record, out)


def _judge_other_tags(record: DmarcRecord, out: Outcome) -> None:
    """Partial enforcement, test mode, removed and unknown tags."""
    if record.effective_pct < 100:
        out.add(
            "dmarc.pct_partial",
            WARNING,
            f"pct={record.effective_pct}: legacy partial enforcement; migrate to t=y.",
            tag="pct",
            value=record.effective_pct,
        )
    if record.t == "y":
        out.add(
            "dmarc.testing",
            WARNING,
            "t=y: RFC 9989 receivers apply one step weaker than the published policy.",
            tag="t",
        )
    for removed in record.removed_tags:
        out.add("dmarc.removed_tag", INFO, f"RFC 9989 removed the {removed} tag.", tag=removed)
    for unknown in record.unknown:
        out.add(
            "dmarc.unknown_tag",
            INFO,
            f"Unknown tag {unknown.name} is ignored.",
            tag=unknown.name,
            value=unknown.value,
        )


def _judge_subdomain_policies(record: DmarcRecord, out: Outcome) -> None:
    p_rank = POLICY_RANK[record.effective_p]
    if record.sp is not None and POLICY_RANK[record.sp] < p_rank:
        out.add(
            "dmarc.sp_weaker",
            WARNING,
            f"sp={record.sp} is weaker than p={record.effective_p}: subdomains are less "
            "protected than the domain.",
            tag="sp",
            value=record.sp,
        )
    if record.np is not None and POLICY_RANK[record.np] < POLICY_RANK[record.effective_sp]:
        out.add(
            "dmarc.np_weaker",
            WARNING,
            f"np={record.np} is weaker than the subdomain policy {record.effective_sp}: "
            "invented subdomains are less protected than real ones.",
            tag="np",
            value=record.np,
        )


def _judge_reporting(
    resolver: Resolver, policy_domain: str, record: DmarcRecord, out: Outcome
) -> None:
    """Aggregate reporting present, obsolete `!size`, external destinations authorised."""
    if not record.rua:
        out.add("dmarc.no_rua", INFO, "No rua tag: nobody receives aggregate reports.", tag="rua")
    tagged = [("rua", uri) for uri in record.rua] + [("ruf", uri) for uri in record.ruf]
    for tag, uri in tagged:
        if uri.size_limit:
            out.add(
                "dmarc.uri_size_obsolete",
                INFO,
                f"The !{uri.size_limit} suffix of {uri.address} is obsolete (RFC 9989).",
                tag=tag,
                uri=uri.normalised,
            )
    verdicts, failures = check_destinations(resolver, policy_domain, tagged)
    for failure in failures:
        out.unavailable(failure)
    if verdicts:
        out.evidence["report_authorizations"] = [v.evidence for v in verdicts]
    for verdict in verdicts:
        if verdict.problem is not None:
            _note_unconfirmable(verdict, policy_domain, out)
        elif not verdict.authorized:
            out.add(
                "dmarc.external_destination_unauthorized",
                WARNING,
                f"{verdict.host} has not authorised reports about {to_ulabel(policy_domain)} "
                f"(no v=DMARC1 TXT at {verdict.asked}); reporters drop them (RFC 7489 §7.1).",
                tag=verdict.tag,
                uri=verdict.uri,
                destination=verdict.host,
                asked=verdict.asked,
            )


def _note_unconfirmable(verdict: Destination, policy_domain: str, out: Outcome) -> None:
    """A destination whose authorisation name cannot be asked or followed gets no reports."""
    consequence = (
        f"reporters cannot confirm that {verdict.host} accepts reports about "
        f"{to_ulabel(policy_domain)} and send none there (RFC 7489 §7.1)."
    )
    where: dict[str, Any] = {"tag": verdict.tag, "uri": verdict.uri, "destination": verdict.host}
    if isinstance(verdict.problem, UnaskableName):
        out.unaskable(verdict.problem, WARNING, consequence, **where)
    elif isinstance(verdict.problem, CnameChainBroken):
        out.cname_broken(verdict.problem, "dmarc", WARNING, consequence, **where)
