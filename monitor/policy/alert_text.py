"""Pure: what a person reads in an alert: the one-line summary and the evidence excerpt.

Summaries name the check the way people say it (SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT, relay,
canary) and the domain or environment it is about, then say what happened:

    DMARC policy of example.com weakened: p reject → none      (a drift)
    SPF record of example.com missing                          (a missing record)
    Canary of production: DKIM failed at the receiver (...)    (a failed canary)
    DKIM of example.com: <the finding's own message>           (any other finding)
    DMARC of example.com could not be measured: <why>          (check.unavailable)

Codes stay in the payload for programs; the summary is for the person on call.

The evidence excerpt is a JSON object: the result's evidence with long strings and lists cut
and the whole kept under `EVIDENCE_MAX` characters of compact JSON. Keys that did not fit are
listed under `_omitted`; the stored result keeps all of it (the database holds results whole).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from alerts.text import check_name, compact_json, show_value
from checks.result import CheckResult, Finding
from monitor.policy.drift import Direction, Drift

__all__ = [
    "EVIDENCE_MAX",
    "drift_summary",
    "evidence_excerpt",
    "finding_summary",
    "unavailable_summary",
]

SUMMARY_MAX = 500
EVIDENCE_MAX = 1500  # characters of compact JSON: fits a Slack section with room to spare
_STRING_MAX = 300
_ITEMS_MAX = 10
_DEPTH_MAX = 4
_FIRST_KEYS = ("record", "records")  # what a person looks at first, when a check has it

# Observation keys (after the check prefix) with a name people use; the rest show the key.
_KEY_NOUNS = {
    "dmarc.p": "policy",
    "dmarc.sp": "subdomain policy",
    "dmarc.np": "non-existent subdomain policy",
    "dmarc.pct": "enforcement percentage",
    "dmarc.t": "testing flag",
    "spf.all": "all qualifier",
    "spf.within_limits": "lookup limits",
    "smtp.tls_version": "TLS version",
    "smtp.starttls": "STARTTLS",
    "smtp.cert_valid": "certificate",
}

_CANARY_METHODS = {"canary.spf": "SPF", "canary.dkim": "DKIM", "canary.dmarc": "DMARC"}
_CANARY_FAILS = {
    "canary.spf_fail": "SPF failed at the receiver",
    "canary.dkim_fail": "DKIM failed at the receiver",
    "canary.dkim_none": "no DKIM signature verified at the receiver",
    "canary.dmarc_fail": "DMARC failed at the receiver",
    "canary.not_delivered": "the canary was not delivered",
}
_CANARY_FLAGS = {
    "canary.spf_aligned": "SPF no longer aligned with From",
    "canary.dkim_aligned": "DKIM no longer aligned with From",
    "canary.tls": "the receiving hop no longer used TLS",
    "canary.delivered": "the canary was not delivered",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clip(text: str, limit: int = SUMMARY_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(message: str) -> str:
    return message.strip().rstrip(".")


def finding_summary(result: CheckResult, findings: Sequence[Finding]) -> str:
    """The summary of one problem code found in `result` (several findings: one line)."""
    code = findings[0].code
    name, subject = check_name(result.check), result.subject
    messages = "; ".join(dict.fromkeys(_sentence(f.message) for f in findings))
    if code == f"{result.check}.missing":
        return _clip(f"{name} record of {subject} missing")
    if code == "dkim.selector_missing":
        selectors = [str(f.details.get("selector", "")) for f in findings]
        noun = "keys" if len(selectors) > 1 else "key"
        return _clip(f"DKIM {noun} {', '.join(selectors)} of {subject} missing")
    if code in _CANARY_FAILS:
        return _clip(f"{_capital(name)} of {subject}: {_CANARY_FAILS[code]} ({messages})")
    return _clip(f"{_capital(name)} of {subject}: {messages}")


def drift_summary(drift: Drift, *, more: int = 0) -> str:
    """What moved, in words: `DMARC policy of example.com weakened: p reject → none`.

    Args:
        drift: the change to describe.
        more: how many other changes the same alert carries (shown as `(+N more changes)`).
    """
    text = _drift_text(drift)
    if more:
        text += f" (+{more} more change{'s' if more > 1 else ''})"
    return _clip(text)


def _drift_text(d: Drift) -> str:
    name, subject = check_name(d.check), d.subject
    weaker = d.direction in (Direction.WEAKENED, Direction.REMOVED)
    if d.key in _CANARY_METHODS and weaker:
        method = _CANARY_METHODS[d.key]
        what = (
            "failed" if d.after == "fail" else f"{show_value(d.after)} (was {show_value(d.before)})"
        )
        return f"Canary of {subject}: {method} {what} at the receiver"
    if d.key in _CANARY_FLAGS and weaker:
        return f"Canary of {subject}: {_CANARY_FLAGS[d.key]}"
    short = d.key.removeprefix(f"{d.check}.")
    if short == "present" and d.after in (False, None):
        return f"{name} record of {subject} removed"
    parts = short.split(".")
    if d.check == "dkim" and len(parts) == 2 and parts[1] == "present" and d.after in (False, None):
        return f"DKIM key {parts[0]} of {subject} removed"
    noun = _KEY_NOUNS.get(d.key)
    head = f"{name} {noun}" if noun else name
    moved = f"{show_value(d.before)} → {show_value(d.after)}"
    return f"{_capital(head)} of {subject} {d.direction.value}: {short} {moved}"


def unavailable_summary(result: CheckResult) -> str:
    """`DMARC of example.com could not be measured: the TXT query ... failed (timeout)`."""
    reasons = [
        _sentence(f.message).removeprefix("Could not measure: ")
        for f in result.findings
        if f.unmeasurable
    ]
    why = "; ".join(dict.fromkeys(reasons)) or "the check returned an error"
    return _clip(
        f"{_capital(check_name(result.check))} of {result.subject} could not be measured: {why}"
    )


def evidence_excerpt(evidence: Mapping[str, Any], limit: int = EVIDENCE_MAX) -> dict[str, Any]:
    """A bounded JSON object of raw evidence (records, lookups, headers), never a repr.

    The record comes first when the check has one; then keys in name order while they fit.
    """
    keys = [k for k in _FIRST_KEYS if k in evidence]
    keys += sorted((k for k in evidence if k not in _FIRST_KEYS), key=str)
    out: dict[str, Any] = {}
    omitted: list[str] = []
    size = 2  # the braces
    for key in keys:
        value = _shrink(evidence[key], 0, tail=key == "traceback")
        cost = len(compact_json({str(key): value})) - 1  # its `"key":value` and a comma
        if size + cost > limit:
            omitted.append(str(key))
            continue
        out[str(key)] = value
        size += cost
    if omitted:
        out["_omitted"] = omitted
    return out


def _shrink(value: Any, depth: int, *, tail: bool = False) -> Any:
    """`value` as plain JSON, with long strings, long lists and deep nesting cut."""
    if isinstance(value, Mapping):
        return _shrink_mapping(value, depth)
    if isinstance(value, list | tuple | set | frozenset):
        return _shrink_sequence(list(value), depth)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _cut(value if isinstance(value, str) else str(value), tail)


def _shrink_mapping(value: Mapping[Any, Any], depth: int) -> Any:
    if depth >= _DEPTH_MAX:
        return f"{{{_count(len(value), 'key')}}}"
    items = list(value.items())
    out = {str(k): _shrink(v, depth + 1) for k, v in items[:_ITEMS_MAX]}
    if len(items) > _ITEMS_MAX:
        out["_more"] = len(items) - _ITEMS_MAX
    return out


def _shrink_sequence(seq: list[Any], depth: int) -> Any:
    if depth >= _DEPTH_MAX:
        return f"[{_count(len(seq), 'item')}]"
    shown = [_shrink(v, depth + 1) for v in seq[:_ITEMS_MAX]]
    if len(seq) > _ITEMS_MAX:
        shown.append(f"… {len(seq) - _ITEMS_MAX} more")
    return shown


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _cut(text: str, tail: bool) -> str:
    """Long text cut to `_STRING_MAX`; a traceback keeps its end, where the error is."""
    if len(text) <= _STRING_MAX:
        return text
    if tail:
        return "…" + text[-(_STRING_MAX - 1) :]
    return text[: _STRING_MAX - 1] + "…"
