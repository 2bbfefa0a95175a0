"""How alert facts read as text: check names, values and evidence, for people, never as a repr.

The webhook sends evidence as the JSON object it is; Slack and email show the same object as
`key: value` lines, where a string value is shown as is and anything else as compact JSON.
A person reading `record: v=DMARC1; p=none` or `lookups: [{"name":"_dmarc.example.com"}]`
never meets `{'record': ...}`.

Outbox rows written before evidence became an object hold it as a string: `evidence_object`
turns those into `{"excerpt": text}` so every payload keeps one shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["check_name", "compact_json", "evidence_object", "evidence_text", "show_value"]

_CHECK_NAMES = {
    "spf": "SPF",
    "dkim": "DKIM",
    "dmarc": "DMARC",
    "mx": "MX",
    "mta_sts": "MTA-STS",
    "tlsrpt": "TLS-RPT",
    "smtp": "relay",
    "canary": "canary",
}


def check_name(check: str) -> str:
    """A check as people say it: `mta_sts` → `MTA-STS`, `smtp` → `relay`; else its id."""
    return _CHECK_NAMES.get(check, check)


def compact_json(value: Any) -> str:
    """One-line JSON, non-ASCII kept readable; values JSON has no type for become text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=str)


def show_value(value: Any) -> str:
    """An observed value as a person reads it: `reject`, `2048`, `true`, `(absent)`.

    Not `str()`: that would print `None`/`True` (Python's words), and `none` is a DMARC
    policy value, so a missing value must read differently from it.
    """
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return compact_json(value)


def evidence_object(evidence: object) -> dict[str, Any]:
    """The evidence of a stored alert as a JSON object, whatever form it was stored in."""
    if isinstance(evidence, Mapping):
        return {str(k): v for k, v in evidence.items()}
    if isinstance(evidence, str) and evidence.strip():
        return {"excerpt": evidence}
    return {}


def evidence_text(evidence: object) -> str:
    """Evidence as `key: value` lines (strings as they are, the rest as compact JSON)."""
    lines = []
    for key, value in evidence_object(evidence).items():
        shown = value if isinstance(value, str) else compact_json(value)
        lines.append(f"{key}: {shown}")
    return "\n".join(lines)
