"""Inspect one received canary: raw message bytes + trust policy → Inspection. Pure, no I/O.

This is the one function the canary round trip and `senderwatch inspect` call:

    inspection = inspect_message(raw, TrustPolicy(("mx.example.net",)), Expectations(
        from_domain="example.com", dkim_selectors=("s1",), adkim="r", aspf="r"))
    inspection.ok            # SPF, DKIM (aligned, our signature) and DMARC pass
    inspection.verdict       # "pass", "fail", or "error" (nothing could be judged)
    inspection.findings      # checks.result.Finding, stable `canary.*` codes
    inspection.observations  # exactly OBSERVATION_KEYS, compared by drift
    inspection.evidence      # raw headers, ignored ones with reasons, Received, timestamps
    inspection.received_at   # the receiver's Received timestamp (latency), or None
    inspection.connecting_ip # the IP that connected to the receiver, or None

Steps: the header block (`headblock`: the body is never read, so headers of attached
message/rfc822 parts are never seen, RFC 8601 §7.10, and a large message costs no more than
its headers) → its fields via the stdlib `email` package → trust rules (`authresults.trust`)
→ evaluation (`authresults.evaluate`) → receiving hop (`authresults.received`) → findings
(`authresults.findings`). A header block over `headblock.MAX_HEADER_BYTES` is not read: the
inspection is an error (`canary.headers_too_large`). Never raises for any input bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.parser
import email.policy
from collections.abc import Mapping
from typing import Any, Literal

from checks.canary.authresults.evaluate import (
    Evaluation,
    Expectations,
    author_domain,
    evaluate,
)
from checks.canary.authresults.findings import findings_for
from checks.canary.authresults.received import ReceivingHop
from checks.canary.authresults.signatures import parse_dkim_signature
from checks.canary.authresults.trust import TrustDecision, TrustPolicy, decide_trust
from checks.canary.headblock import HeaderBlockTooLarge, header_block
from checks.result import Finding, Scalar, Severity

__all__ = [
    "OBSERVATION_KEYS",
    "Expectations",
    "Inspection",
    "TrustPolicy",
    "header_fields",
    "inspect_message",
]

OBSERVATION_KEYS = (
    "canary.spf",
    "canary.dkim",
    "canary.dmarc",
    "canary.dkim_aligned",
    "canary.spf_aligned",
    "canary.dkim_selector",
    "canary.dkim_domain",
    "canary.arc",
    "canary.tls",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Inspection:
    """What one received message proves about the sender's authentication.

    Attributes:
        ok: SPF pass, DKIM pass aligned with From on a signature the message carries, and
            DMARC pass. TLS and SPF alignment do not change it (they are findings).
        findings: stable-code findings (`canary.spf_fail`, `canary.no_tls`, ...).
        observations: exactly `OBSERVATION_KEYS`, normalised scalars for drift.
        evidence: raw material for people (JSON-ready).
        evaluation: per-method verdicts (see `authresults.evaluate`).
        trust: which headers were believed, ignored, shadowed and why.
        receiving_hop: the receiver's Received hop, if found.
    """

    ok: bool
    findings: tuple[Finding, ...]
    observations: Mapping[str, Scalar]
    evidence: Mapping[str, Any]
    evaluation: Evaluation
    trust: TrustDecision
    receiving_hop: ReceivingHop | None

    @property
    def received_at(self) -> dt.datetime | None:
        """When the receiver took the message (its Received timestamp, aware UTC)."""
        return self.receiving_hop.hop.timestamp if self.receiving_hop else None

    @property
    def connecting_ip(self) -> str | None:
        """The IP address that connected to the receiver (for SPF explanations)."""
        return self.receiving_hop.hop.ip if self.receiving_hop else None

    @property
    def verdict(self) -> Literal["pass", "fail", "error"]:
        """ "error" when a finding says the message could not be judged (no trusted header,
        the receiver's header unreadable, the header block too large); else pass or fail."""
        if any(f.unmeasurable for f in self.findings):
            return "error"
        return "pass" if self.ok else "fail"

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of `senderwatch inspect --format json` (see the docs)."""
        ev = self.evaluation
        return {
            "version": 1,
            "ok": self.ok,
            "observations": dict(self.observations),
            "methods": {
                "spf": ev.spf.to_dict(),
                "dkim": ev.dkim.to_dict(),
                "dmarc": ev.dmarc.to_dict(),
                "arc": ev.arc.to_dict(),
            },
            "findings": [f.to_dict() for f in self.findings],
            "evidence": dict(self.evidence),
        }


def inspect_message(raw: bytes, policy: TrustPolicy, expect: Expectations) -> Inspection:
    """Inspect a received message.

    Args:
        raw: the message as delivered (RFC 5322 bytes), or at least its first
            `headblock.READ_BYTES`; only the header block is read.
        policy: whose Authentication-Results to believe.
        expect: the From domain, DKIM selectors and alignment modes we expect.

    Returns:
        The inspection; malformed input yields findings, never an exception.
    """
    try:
        fields = header_fields(raw)
    except HeaderBlockTooLarge as exc:
        return _not_read(exc, policy, expect)
    decision = decide_trust(fields, policy)
    author = author_domain([v for n, v in fields if n.lower() == "from"])
    signatures = [parse_dkim_signature(v) for n, v in fields if n.lower() == "dkim-signature"]
    evaluation = evaluate(decision, author, signatures, expect)
    hop = decision.receiving_hop
    findings = tuple(findings_for(evaluation, decision, hop, expect))
    return Inspection(
        ok=evaluation.ok and bool(decision.trusted) and not decision.unreadable,
        findings=findings,
        observations=_observations(evaluation, hop),
        evidence=_evidence(evaluation, decision, hop, signatures),
        evaluation=evaluation,
        trust=decision,
        receiving_hop=hop,
    )


def header_fields(raw: bytes) -> list[tuple[str, str]]:
    """Top-level header fields (name, value) in message order, as text.

    Only the header block is cut out (`headblock.header_block`) and parsed, so fields of
    MIME parts and attached messages are never returned and the body is never decoded.
    Bytes that are not UTF-8 become U+FFFD.

    Raises:
        HeaderBlockTooLarge: the header block is over `headblock.MAX_HEADER_BYTES`.
    """
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    message = parser.parsebytes(header_block(raw))
    return [(name, _as_text(value)) for name, value in message.raw_items()]


def _not_read(exc: HeaderBlockTooLarge, policy: TrustPolicy, expect: Expectations) -> Inspection:
    """The inspection of a message whose header block was too large to read: an error."""
    decision = decide_trust([], policy)
    evaluation = evaluate(decision, author_domain([]), [], expect)
    finding = Finding(
        "canary.headers_too_large",
        Severity.CRITICAL,
        str(exc),
        {"limit": exc.limit},
        unmeasurable=True,
    )
    return Inspection(
        ok=False,
        findings=(finding,),
        observations=_observations(evaluation, None),
        evidence=_evidence(evaluation, decision, None, []),
        evaluation=evaluation,
        trust=decision,
        receiving_hop=None,
    )


def _as_text(value: Any) -> str:
    text = str(value)
    if text.isascii():
        return text
    try:
        return text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # already real Unicode (not surrogate-escaped bytes)
        return text


def _observations(evaluation: Evaluation, hop: ReceivingHop | None) -> dict[str, Scalar]:
    dkim = evaluation.dkim
    values: dict[str, Scalar] = {
        "canary.spf": evaluation.spf.result,
        "canary.dkim": dkim.result,
        "canary.dmarc": evaluation.dmarc.result,
        "canary.dkim_aligned": bool(dkim.aligned),
        "canary.spf_aligned": bool(evaluation.spf.aligned),
        "canary.dkim_selector": (dkim.selector or "") if dkim.passed else "",
        "canary.dkim_domain": dkim.domain or "",
        "canary.arc": evaluation.arc.result,
        "canary.tls": bool(hop and hop.hop.tls),
    }
    return {key: values[key] for key in OBSERVATION_KEYS}


def _evidence(
    evaluation: Evaluation,
    decision: TrustDecision,
    hop: ReceivingHop | None,
    signatures: list[Any],
) -> dict[str, Any]:
    ignored = [
        {"name": i.header.name, "value": i.header.value, "reason": i.reason}
        for i in decision.ignored
    ]
    ignored += [
        {
            "name": s.header.name,
            "value": s.header.value,
            "reason": f"{s.result.method}={s.result.result} shadowed: {why}",
        }
        for s, why in decision.shadowed
    ]
    return {
        "authentication_results": [
            {"value": t.header.value, "basis": t.basis, "problems": list(t.header.parsed.problems)}
            for t in decision.trusted
        ],
        "ignored": ignored,
        "arc_authentication_results": [a.value for a in decision.arc],
        "microsoft_copies": [c.value for c in decision.corroborators],
        "dkim_signatures": [{**s.to_dict(), "raw": s.raw} for s in signatures],
        "dkim_results": [r.to_dict() for r in evaluation.dkim_results],
        "carried": [f"{r.method}={r.result}" for r in evaluation.carried],
        "from": list(evaluation.author.addresses),
        "from_domain": evaluation.author.domain,
        "received": hop.hop.raw if hop else None,
        "receiving_hop": {**hop.hop.to_dict(), "index": hop.index, "matched_by": hop.matched_by}
        if hop
        else None,
        "received_at": hop.hop.timestamp.isoformat() if hop and hop.hop.timestamp else None,
        "connecting_ip": hop.hop.ip if hop else None,
    }
