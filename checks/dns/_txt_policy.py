"""The shape MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) records share.

Both live in one TXT name under the domain; records not starting with their version tag are
discarded; anything but exactly one remaining record means "not deployed" to senders; the one
record is parsed (here by checkdmarc, through `_checkdmarc`). Absent or broken records are
warnings, not failures: both are opt-in hardening, and mail flows without them. The same holds
for a name that cannot exist (over 255 octets) and for a CNAME chain senders cannot follow:
the record is as good as absent, and the finding says why.
"""

from __future__ import annotations

from collections.abc import Callable

from checks.dns import _checkdmarc
from checks.dns._checkdmarc import ParsedRecord, RecordRejected
from checks.dns._envelope import Outcome
from checks.dns._lookup import CnameChainBroken, answer_evidence, chase
from checks.dns.resolver import Resolver, UnaskableName, to_ulabel
from checks.result import Severity

__all__ = ["measure_txt_policy"]


def measure_txt_policy(
    resolver: Resolver,
    name: str,
    *,
    version: str,
    parse: Callable[[str], ParsedRecord],
    check: str,
    out: Outcome,
) -> ParsedRecord | None:
    """Fetch, select and parse the record at `name`; findings use the `check.` code prefix.

    Args:
        resolver: the run's resolver.
        name: A-label name to ask (`_mta-sts.example.test`).
        version: the version tag value that marks a candidate record (`v=STSv1`).
        parse: the `_checkdmarc` parser for the record type.
        check: code prefix ("mta_sts", "tlsrpt"); also the observation prefix.
        out: the outcome to fill.

    Returns:
        The parsed record, or None when there is no usable one.

    Raises:
        DnsUnavailable: the name could not be asked.
    """
    out.versions.update(_checkdmarc.versions())
    shown = to_ulabel(name)
    try:
        answer = chase(resolver, name, "TXT")
    except UnaskableName as exc:
        out.observations[f"{check}.present"] = False
        out.unaskable(exc, Severity.WARNING, f"no {version} record can be published there.")
        return None
    except CnameChainBroken as exc:
        out.evidence["lookup"] = {"name": name, "type": "TXT", "cname_chain": list(exc.chain)}
        out.observations[f"{check}.present"] = False
        out.cname_broken(exc, check, Severity.WARNING, f"senders never reach a {version} record.")
        return None
    out.evidence["lookup"] = answer_evidence(answer)
    candidate = _single_candidate(answer.records, name, version, check, out)
    if candidate is None:
        return None
    try:
        parsed = parse(candidate)
    except RecordRejected as exc:
        out.add(
            f"{check}.syntax_error",
            Severity.WARNING,
            f"The record at {shown} is invalid ({exc.tag or 'record'}: {exc.reason}); "
            "senders ignore it.",
            name=name,
            tag=exc.tag,
            value=exc.value,
            reason=exc.reason,
            library_message=exc.library_message,
        )
        return None
    for note in parsed.notes:
        out.add(
            f"{check}.{note.code}",
            Severity.INFO,
            note.library_message,
            tag=note.tag,
        )
    return parsed


def _single_candidate(
    records: tuple[str, ...], name: str, version: str, check: str, out: Outcome
) -> str | None:
    """The one record starting with the version tag; findings when none or several."""
    shown = to_ulabel(name)
    candidates = sorted(r for r in records if r.startswith(version))
    out.observations[f"{check}.present"] = bool(candidates)
    if not candidates:
        out.add(
            f"{check}.missing",
            Severity.WARNING,
            f"No {version} record at {shown}.",
            name=name,
        )
        return None
    out.evidence["record"] = candidates[0] if len(candidates) == 1 else candidates
    if len(candidates) > 1:
        out.add(
            f"{check}.multiple_records",
            Severity.WARNING,
            f"{shown} holds {len(candidates)} {version} records; senders then ignore all.",
            name=name,
            records=candidates,
        )
        return None
    return candidates[0]
