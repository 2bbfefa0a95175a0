"""Facts the canary round trip gathers around the inspection: DNS-backed and timing facts.

Split from `roundtrip.py` so that module reads as the round trip's steps. Every function here
turns problems into values (a note, None) rather than exceptions: the round trip has already
sent a message, and a DNS hiccup while explaining a result must not lose that result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from checks.canary.authresults.alignment import AlignmentMode
from checks.canary.inbox import RawMessage
from checks.dns._dmarc_discovery import discover
from checks.dns._dmarc_record import DmarcSyntaxError, parse_dmarc_record
from checks.dns.resolver import DnsUnavailable, to_alabel
from checks.dns.spf import explain_ip

__all__ = ["alignment_modes", "explain_spf", "header_block", "latency_facts"]


def alignment_modes(resolver: Any, domain: str) -> tuple[AlignmentMode, AlignmentMode, str]:
    """(adkim, aspf, where they came from) for `domain`, as its DMARC record says.

    Relaxed ("r", the RFC 7489 default) when there is no usable record or DNS fails; the
    third value says which, for the evidence.
    """
    try:
        found = discover(resolver, to_alabel(domain))
    except (DnsUnavailable, ValueError) as exc:
        return "r", "r", f"DMARC lookup failed ({exc}); relaxed assumed"
    lookup = found.legacy
    if lookup is None or lookup.record is None:
        return "r", "r", "no single DMARC record; relaxed assumed"
    try:
        record = parse_dmarc_record(lookup.record)
    except DmarcSyntaxError as exc:
        return "r", "r", f"{lookup.name}: {exc}; relaxed assumed"
    return _mode(record.adkim), _mode(record.aspf), f"{lookup.name} ({found.source})"


def _mode(value: str) -> AlignmentMode:
    return "s" if value == "s" else "r"


def explain_spf(resolver: Any, domain: str, ip: str, sender: str) -> dict[str, Any]:
    """Which mechanism of `domain`'s SPF record would have to match `ip` (never raises)."""
    try:
        return explain_ip(domain, ip, resolver, sender=sender)
    except (DnsUnavailable, ValueError) as exc:
        return {"domain": domain, "ip": ip, "explanation": None, "error": str(exc)}


def header_block(raw: bytes) -> str:
    """The message's header block as text (failure evidence; the body is not kept)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return head.decode("utf-8", "replace").replace("\r\n", "\n")


def latency_facts(
    sent_at: dt.datetime,
    found: RawMessage,
    received_at: dt.datetime | None,
    detected_at: dt.datetime,
) -> dict[str, Any]:
    """Send → receiver (its Received timestamp, 1 s resolution, its clock) → detection.

    `stored_at` is the inbox's own time for the message (IMAP INTERNALDATE, Maildir file
    time). Values may be negative when the receiver's clock is behind ours; they are
    reported as measured, not clamped, because a skewed clock is itself worth seeing.
    """
    facts: dict[str, Any] = {
        "sent_at": sent_at.isoformat(),
        "received_at": received_at.isoformat() if received_at else None,
        "stored_at": found.received_at.isoformat(),
        "detected_at": detected_at.isoformat(),
        "send_to_receiver_s": None,
        "receiver_to_detection_s": None,
    }
    if received_at is not None:
        facts["send_to_receiver_s"] = round((received_at - sent_at).total_seconds(), 3)
        facts["receiver_to_detection_s"] = round((detected_at - received_at).total_seconds(), 3)
    return facts
