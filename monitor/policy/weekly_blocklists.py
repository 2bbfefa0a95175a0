"""Blocklists and reverse DNS in the weekly report, from the `blocklists` check (pure).

The check stores one result per environment with `evidence["blocklists"]` (schema 1,
docs/blocklists.md): `listings` (list, zone, target, meanings, TXT reason, delisting page),
`fcrdns` per IP and `fcrdns_verdict`. A listing is *standing* when the environment's
baseline already had it (`blocklists.<list>.<target>` or, for discovered targets,
`blocklists.<list>.discovered` = listed), else *new*: the same rule that makes a new listing
page and a standing one not.

    listings(found)      Listing per listed target
    posture_lines(found) one "Blocklists" and one "Reverse DNS" posture line per environment
    fixes(found)         a fix per listing (at its delisting page) and per FCrDNS failure
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from checks.result import CheckResult
from monitor.policy.weekly_model import Fix, Listing, Mark, PostureItem

__all__ = ["EnvBlocklists", "fcrdns_text", "fixes", "listings", "posture_lines"]


@dataclasses.dataclass(frozen=True, slots=True)
class EnvBlocklists:
    """The newest blocklists result of one environment and its baseline's observations."""

    environment: str
    result: CheckResult
    baseline: Mapping[str, object] | None

    @property
    def details(self) -> dict[str, Any]:
        value = self.result.evidence.get("blocklists")
        return value if isinstance(value, dict) else {}


def _standing(item: EnvBlocklists, list_name: str, target: str) -> bool:
    if item.baseline is None:
        return True  # no baseline yet: the first result becomes it, so nothing is new
    for key in (f"blocklists.{list_name}.{target}", f"blocklists.{list_name}.discovered"):
        if key in item.baseline:
            return item.baseline[key] == "listed"
    return False


def listings(found: Sequence[EnvBlocklists]) -> tuple[Listing, ...]:
    """Every listing of the newest results, new ones first."""
    out = []
    for item in found:
        for entry in item.details.get("listings") or ():
            name, target = str(entry.get("list", "")), str(entry.get("target", ""))
            out.append(
                Listing(
                    environment=item.environment,
                    target=target,
                    kind=str(entry.get("kind", "")),
                    list=name,
                    zone=str(entry.get("zone", "")),
                    meanings=tuple(str(m) for m in entry.get("meanings") or ()),
                    reason=str(entry.get("reason") or ""),
                    delist_url=str(entry.get("delist_url") or ""),
                    standing=_standing(item, name, target),
                    checked_at=item.result.started_at,
                )
            )
    return tuple(sorted(out, key=lambda x: (x.standing, x.environment, x.list, x.target)))


def _label(name: str, item: EnvBlocklists, found: Sequence[EnvBlocklists]) -> str:
    return name if len(found) == 1 else f"{name} ({item.environment})"


def _listing_text(x: Listing) -> str:
    meaning = "; ".join(x.meanings) or "listed"
    reason = f" The list says: {x.reason}." if x.reason else ""
    delist = f" Delisting: {x.delist_url}" if x.delist_url else ""
    state = "standing (in the baseline)" if x.standing else "NEW"
    return f"{x.target} on {x.list} ({x.zone}), {state}: {meaning}.{reason}{delist}"


def posture_lines(found: Sequence[EnvBlocklists]) -> tuple[PostureItem, ...]:
    """Per environment: its listings (with reason and delisting page) and its reverse DNS."""
    items = []
    for item in found:
        details, result = item.details, item.result
        mine = listings([item])
        lists = details.get("lists") or ()
        targets = sum(1 for t in details.get("targets") or () if t.get("queried"))
        unmeasured = [f.message for f in result.findings if f.unmeasurable]
        if mine:
            new = sum(not x.standing for x in mine)
            summary = f"{len(mine)} listing{'s' if len(mine) != 1 else ''} on {len(lists)} lists"
            summary += f" ({new} new)" if new else " (all standing)"
            mark = Mark.FAIL if new else Mark.WARN
        else:
            summary = f"not listed: {targets} targets on {len(lists)} lists"
            mark = Mark.ERROR if unmeasured else Mark.PASS
        warnings = tuple(_listing_text(x) for x in mine) + tuple(unmeasured)
        items.append(
            PostureItem(
                _label("Blocklists", item, found), mark, summary, warnings, result.started_at
            )
        )
        items.append(_reverse_dns_line(item, found))
    return tuple(items)


_FCRDNS_MARK = {
    "pass": Mark.PASS,
    "fail": Mark.FAIL,
    "error": Mark.ERROR,
    "not_checked": Mark.UNKNOWN,
}


def _reverse_dns_line(item: EnvBlocklists, found: Sequence[EnvBlocklists]) -> PostureItem:
    details = item.details
    verdict = str(details.get("fcrdns_verdict", "not_checked"))
    entries = details.get("fcrdns") or ()
    summary = ", ".join(fcrdns_text(e) for e in entries) or "no sending IP checked"
    warnings = tuple(
        fcrdns_text(e) for e in entries if e.get("verdict") in ("missing", "mismatch", "generic")
    )
    return PostureItem(
        _label("Reverse DNS", item, found),
        _FCRDNS_MARK.get(verdict, Mark.UNKNOWN),
        summary,
        warnings,
        item.result.started_at,
    )


def fcrdns_text(entry: Mapping[str, Any]) -> str:
    """One IP's reverse DNS in words: what confirmed, or what failed."""
    ip, verdict = entry.get("ip", "?"), entry.get("verdict")
    ptr = ", ".join(entry.get("ptr") or ())
    if verdict == "pass":
        return f"{ip} → {entry.get('confirmed_name')} (forward-confirmed)"
    if verdict == "generic":
        return (
            f"{ip} → {entry.get('confirmed_name')}: confirmed, but a generic access name (generic)"
        )
    if verdict == "missing":
        return f"{ip}: no PTR record (missing)"
    if verdict == "mismatch":
        return f"{ip}: PTR {ptr} does not resolve back to it (mismatch)"
    return f"{ip}: could not be looked up ({entry.get('error') or 'error'})"


def fixes(found: Sequence[EnvBlocklists]) -> tuple[Fix, ...]:
    """A fix per listing, at its delisting page (new listings critical, standing ones
    warnings), and per IP whose reverse DNS is missing, mismatched or generic."""
    out = []
    for x in listings(found):
        reason = f" (the list says: {x.reason})" if x.reason else ""
        out.append(
            Fix(
                "warning" if x.standing else "critical",
                f"{x.target} of {x.environment} is listed on {x.list} ({x.zone}): "
                f"{'; '.join(x.meanings) or 'listed'}{'' if x.standing else ' (new)'}",
                f"stop what got it listed{reason}, then request delisting at "
                f"{x.delist_url or 'the list operator'}",
                x.delist_url or f"{x.list} ({x.zone})",
            )
        )
    for item in found:
        for entry in item.details.get("fcrdns") or ():
            verdict, ip = entry.get("verdict"), str(entry.get("ip", "?"))
            if verdict not in ("missing", "mismatch", "generic"):
                continue
            change = {
                "missing": "have the IP's owner publish a PTR record naming a host of yours "
                "whose A/AAAA record is this IP",
                "mismatch": "make the PTR name resolve back to this IP (add its A/AAAA record), "
                "or point the PTR at a name that does",
                "generic": "replace the generic PTR name with one of your mail host's names "
                "(mail.<your domain>) that resolves back to the IP",
            }[str(verdict)]
            out.append(
                Fix(
                    "warning" if verdict == "generic" else "critical",
                    f"reverse DNS of {ip} ({item.environment}): {fcrdns_text(entry)}",
                    change,
                    f"PTR of {ip}",
                )
            )
    return tuple(out)
