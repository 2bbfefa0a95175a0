"""The bulk-sender checklist of Gmail, Yahoo and Microsoft, judged from stored evidence (pure).

Each requirement is pass, fail or unknown, with the evidence it was judged by and a link to
each provider's published requirements. What passes is what a receiver said: SPF, DKIM,
alignment and TLS come from the week's canaries (the receiver's Authentication-Results), so
a section without canaries is "unknown" there even when the records look right. DMARC comes
from the published record. One-click unsubscribe is judged only when the environment's
canary carries the headers (`list_unsubscribe`); reverse DNS only when a check measured it
(`reverse_dns`, the one place that reads such a result).

Requirements as published for 2024-2025: Gmail and Yahoo ask bulk senders for SPF and DKIM,
DMARC with at least p=none and an aligned From, RFC 8058 one-click unsubscribe on marketing
mail, and valid forward and reverse DNS of the sending IP; Gmail asks for TLS; Microsoft
(from May 2025, senders above 5,000 messages a day to its consumer domains) for SPF, DKIM
and DMARC with at least p=none, aligned.
"""

from __future__ import annotations

from collections.abc import Mapping

from checks.result import CheckResult
from monitor.policy.weekly_model import CanaryWeek, ChecklistItem, Mark

__all__ = ["LINKS", "checklist", "reverse_dns"]

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
) -> tuple[ChecklistItem, ...]:
    """Every requirement, judged from the section's latest results and canary week."""
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
    judged = _from_canaries(canary, "aligned", "SPF or DKIM aligned with From")
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
            *reverse_dns(latest),
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


def reverse_dns(latest: Mapping[str, CheckResult]) -> tuple[Mark, str]:
    """FCrDNS of the sending IP, from the `blocklists` check when it has run.

    Reads a `*.fcrdns` observation (True / "pass" passes); without one the answer is
    unknown. The one function to change when that check's result shape is settled.
    """
    result = latest.get("blocklists")
    if result is not None:
        for key, value in sorted(result.observations.items()):
            if key.endswith("fcrdns"):
                if value in (True, "pass"):
                    return Mark.PASS, f"{key}: forward-confirmed"
                return Mark.FAIL, f"{key}: {value}"
    return Mark.UNKNOWN, "reverse DNS of the sending IP is not measured yet"
