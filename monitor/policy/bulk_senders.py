"""The bulk-sender checklist of Gmail, Yahoo and Microsoft, judged from stored evidence (pure).

Each requirement is pass, fail or unknown, with the evidence it was judged by and a link to
each provider's published requirements. What passes is what a receiver said: SPF, DKIM,
alignment and TLS come from the week's canaries (the receiver's Authentication-Results), so
a section without canaries is "unknown" there even when the records look right. DMARC comes
from the published record, and whether it passes from the receivers' DMARC aggregate reports
(authorised sources only: spoofers failing is DMARC working); without canaries, alignment
is judged from those reports too. One-click unsubscribe is judged only when the
environment's canary carries the headers (`list_unsubscribe`); reverse DNS from the
`blocklists` check's `fcrdns_verdict` (`reverse_dns`, the one place that reads it).

Requirements as published for 2024-2025: Gmail and Yahoo ask bulk senders for SPF and DKIM,
DMARC with at least p=none and an aligned From, RFC 8058 one-click unsubscribe on marketing
mail, and valid forward and reverse DNS of the sending IP; Gmail asks for TLS; Microsoft
(from May 2025, senders above 5,000 messages a day to its consumer domains) for SPF, DKIM
and DMARC with at least p=none, aligned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checks.result import CheckResult
from monitor.policy.weekly_blocklists import EnvBlocklists, fcrdns_text
from monitor.policy.weekly_model import CanaryWeek, ChecklistItem, Mark, SendersWeek

__all__ = ["LINKS", "aligned_from_reports", "checklist", "dmarc_from_reports", "reverse_dns"]

LINKS = {
    "Gmail": "https://support.google.com/a/answer/81126",
    "Yahoo": "https://senders.yahooinc.com/best-practices/",
    "Microsoft": (
        "https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/"
        "strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90"
        "volume-senders/4399730"
    ),
}
ALL = ("Gmail", "Yahoo", "Microsoft")


def _item(requirement: str, providers: tuple[str, ...], mark: Mark, evidence: str) -> ChecklistItem:
    links = tuple((p, LINKS[p]) for p in providers)
    return ChecklistItem(requirement, providers, mark, evidence, links)


PASS_RATE = 99.0
"""A method passes the week when at least this share of judged canaries passed it: one
canary lost to a receiver's hiccup is news for the canary section, not a failed
requirement; a steady failure is."""


def _from_canaries(canary: CanaryWeek | None, method: str, label: str) -> tuple[Mark, str] | None:
    """Pass when at least `PASS_RATE` % of judged canaries passed `method`; None without."""
    if canary is None or canary.judged == 0:
        return None
    rate = canary.rates.get(method)
    if rate is None:
        return None
    passed = round(rate * canary.judged / 100)
    text = f"{label} on {passed} of {canary.judged} canaries this week ({rate:g}%)"
    return (Mark.PASS if rate >= PASS_RATE else Mark.FAIL), text


def checklist(
    latest: Mapping[str, CheckResult],
    canary: CanaryWeek | None,
    *,
    list_unsubscribe: str | None,
    has_canary: bool,
    senders: SendersWeek | None = None,
    blocklists: Sequence[EnvBlocklists] = (),
    pass_share: float = 0.9,
) -> tuple[ChecklistItem, ...]:
    """Every requirement, judged from the section's latest results, canary week, DMARC
    report figures (`senders`; `pass_share` the configured share at which a source
    passes, 0..1) and blocklists results."""
    no_canary = (
        "no canary was judged this week, so no receiver's verdict is known"
        if has_canary
        else "no canary is configured for this section (receiver verdicts come from canaries)"
    )
    items = []
    for method, requirement, label in (
        ("spf", "SPF passes", "SPF passed"),
        ("dkim", "DKIM passes", "DKIM passed"),
    ):
        judged = _from_canaries(canary, method, label)
        mark, text = judged or (Mark.UNKNOWN, no_canary)
        items.append(_item(requirement, ALL, mark, text))
    items.append(_item("DMARC published with at least p=none", ALL, *_dmarc(latest)))
    items.append(
        _item("DMARC passes for authorised sources", ALL, *dmarc_from_reports(senders, pass_share))
    )
    judged = _from_canaries(canary, "aligned", "SPF or DKIM aligned with From")
    if judged is None:
        judged = aligned_from_reports(senders, pass_share, no_canary)
    items.append(
        _item("From aligned with SPF or DKIM", ALL, *(judged or (Mark.UNKNOWN, no_canary)))
    )
    items.append(_item("TLS on the sending hop", ("Gmail",), *_tls(latest, canary, no_canary)))
    items.append(
        _item(
            "One-click unsubscribe (RFC 8058) on marketing mail",
            ("Gmail", "Yahoo"),
            *_unsubscribe(canary, list_unsubscribe),
        )
    )
    items.append(
        _item(
            "Forward-confirmed reverse DNS of the sending IP",
            ("Gmail", "Yahoo"),
            *reverse_dns(blocklists),
        )
    )
    return tuple(items)


def _dmarc(latest: Mapping[str, CheckResult]) -> tuple[Mark, str]:
    result = latest.get("dmarc")
    if result is None:
        return Mark.UNKNOWN, "no DMARC check result yet"
    obs = result.observations
    if not obs.get("dmarc.present"):
        return Mark.FAIL, "no DMARC record is published"
    policy = obs.get("dmarc.p")
    if policy in ("none", "quarantine", "reject"):
        return Mark.PASS, f"p={policy} published (pct={obs.get('dmarc.pct', 100)})"
    return Mark.FAIL, f"the DMARC record has no valid policy (p={policy})"


def _tls(
    latest: Mapping[str, CheckResult], canary: CanaryWeek | None, no_canary: str
) -> tuple[Mark, str]:
    judged = _from_canaries(canary, "tls", "arrived over TLS")
    if judged is not None:
        return judged
    relay = latest.get("smtp")
    if relay is not None and "smtp.starttls" in relay.observations:
        if relay.observations["smtp.starttls"]:
            version = relay.observations.get("smtp.tls_version", "")
            return Mark.PASS, f"the relay offers STARTTLS {version}".rstrip()
        return Mark.FAIL, "the relay does not offer STARTTLS"
    return Mark.UNKNOWN, no_canary


def _unsubscribe(canary: CanaryWeek | None, list_unsubscribe: str | None) -> tuple[Mark, str]:
    if not list_unsubscribe:
        return (
            Mark.UNKNOWN,
            "the canary carries no List-Unsubscribe (set list_unsubscribe on the environment "
            "to check it); transactional mail is exempt",
        )
    uris = [u.strip().strip("<>") for u in list_unsubscribe.split(",")]
    if not any(u.lower().startswith("https://") for u in uris):
        return (
            Mark.FAIL,
            "List-Unsubscribe has no https URI, so no List-Unsubscribe-Post one-click header",
        )
    dkim = _from_canaries(canary, "dkim", "DKIM (which must cover both headers) passed")
    if dkim is None:
        return Mark.UNKNOWN, "the canary carries both headers, but none was judged this week"
    mark, text = dkim
    return mark, f"List-Unsubscribe and List-Unsubscribe-Post on the canary; {text}"


def _receivers(week: SendersWeek) -> str:
    n = len(week.reporters)
    return f"reports from {n} receiver{'s' if n != 1 else ''}"


def dmarc_from_reports(week: SendersWeek | None, pass_share: float) -> tuple[Mark, str]:
    """Pass when authorised sources passed DMARC at least `pass_share` of the time in the
    week's aggregate reports; unknown without reports or authorised mail."""
    if week is None or week.all.messages == 0:
        note = week.note if week is not None and week.note else "no DMARC aggregate reports"
        return Mark.UNKNOWN, note
    mine = week.authorised
    if mine.messages == 0 or mine.dmarc_pass is None:
        return (
            Mark.UNKNOWN,
            f"no message from an authorised source in {week.all.messages:,} reported "
            f"({_receivers(week)})",
        )
    mark = Mark.PASS if mine.dmarc_pass >= 100 * pass_share else Mark.FAIL
    return (
        mark,
        f"{mine.dmarc_pass:g}% of {mine.messages:,} messages from authorised sources passed "
        f"DMARC ({_receivers(week)})",
    )


def aligned_from_reports(
    week: SendersWeek | None, pass_share: float, no_canary: str
) -> tuple[Mark, str] | None:
    """Alignment from the aggregate reports when no canary was judged; None without them.
    DMARC passes exactly when SPF or DKIM passes aligned, so the share is the same."""
    if week is None or week.authorised.dmarc_pass is None:
        return None
    mine = week.authorised
    mark = Mark.PASS if week.authorised.dmarc_pass >= 100 * pass_share else Mark.FAIL
    return (
        mark,
        f"{no_canary}; in DMARC aggregate reports {mine.dmarc_pass:g}% of {mine.messages:,} "
        f"messages from authorised sources were aligned (SPF {mine.spf_aligned:g}%, DKIM "
        f"{mine.dkim_aligned:g}%; {_receivers(week)})",
    )


def reverse_dns(found: Sequence[EnvBlocklists]) -> tuple[Mark, str]:
    """FCrDNS of the sending IPs, from the `blocklists` check's `fcrdns_verdict`.

    pass when every checked result says pass (generic names are confirmed, and named in the
    evidence), fail with the IP and what failed (missing, mismatch) when one says fail,
    unknown when the check did not run, checked no IP, or could not look one up.
    """
    if not found:
        return (
            Mark.UNKNOWN,
            "the blocklists check has not run for this section ([blocklists] enabled, with "
            "sending_ips), so reverse DNS was not measured",
        )
    verdicts = {item.environment: str(item.details.get("fcrdns_verdict", "")) for item in found}
    many = len(found) > 1

    def texts(item: EnvBlocklists, wanted: tuple[str, ...]) -> list[str]:
        prefix = f"{item.environment}: " if many else ""
        return [
            prefix + fcrdns_text(e)
            for e in item.details.get("fcrdns") or ()
            if e.get("verdict") in wanted
        ]

    if "fail" in verdicts.values():
        failed = [
            t for item in found for t in texts(item, ("missing", "mismatch", "generic", "error"))
        ]
        return Mark.FAIL, "; ".join(failed)
    if "error" in verdicts.values():
        return Mark.UNKNOWN, "could not measure: " + "; ".join(
            t for item in found for t in texts(item, ("error",))
        )
    if set(verdicts.values()) <= {"not_checked", ""}:
        return (
            Mark.UNKNOWN,
            "no sending IP was checked (set sending_ips, or fcrdns is off)",
        )
    passed = [t for item in found for t in texts(item, ("pass", "generic"))]
    return Mark.PASS, "; ".join(passed) or "forward-confirmed"
