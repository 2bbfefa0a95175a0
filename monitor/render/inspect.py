"""What `inspect` prints: the verdict line, the per-method table, the receiving hop, what was
trusted, what could not be read and why other headers were ignored."""

from __future__ import annotations

from checks.canary.authresults.evaluate import MethodVerdict
from checks.canary.inspect import Inspection

__all__ = ["render_text"]


def render_text(inspection: Inspection, label: str) -> str:
    """The human view: verdict line, per-method table, hop, findings, ignored headers."""
    ev = inspection.evaluation
    lines = [_verdict_line(inspection, label), ""]
    if inspection.verdict == "error":
        lines.append("methods: not judged (see findings)")
    else:
        lines.append(f"{'method':<7} {'result':<14} {'domain':<28} {'aligned':<8} detail")
        lines += [_method_row(v) for v in (ev.spf, ev.dkim, ev.dmarc, ev.arc)]
    lines.append(f"from: {', '.join(ev.author.addresses) or '(none)'}")
    if ev.author.problem:
        lines.append(f"from problem: {ev.author.problem}")
    lines += ["", _hop_line(inspection)]
    lines += [
        f"trusted: {t.header.parsed.authserv_id or '(no id)'}: {t.basis}"
        for t in inspection.trust.trusted
    ] or ["trusted: none"]
    lines += [
        f"unreadable: {u.header.parsed.authserv_id or '(id unknown)'} (field {u.header.position}"
        f"): {u.header.parsed.unreadable}"
        for u in inspection.trust.unreadable
    ]
    if inspection.findings:
        lines.append("findings:")
        lines += [f"  {f.severity.value:<8} {f.code:<30} {f.message}" for f in inspection.findings]
    lines += _ignored_lines(inspection)
    if ev.carried:
        lines.append(
            "other methods (reported, never deciding): "
            + ", ".join(f"{r.method}={r.result}" for r in ev.carried)
        )
    return "\n".join(lines)


def _verdict_line(inspection: Inspection, label: str) -> str:
    if inspection.verdict == "pass":
        return f"PASS  {label}: SPF, DKIM and DMARC pass and align"
    if inspection.verdict == "fail":
        return f"FAIL  {label}: SPF, DKIM and DMARC do not all pass and align"
    why = next(f.message for f in inspection.findings if f.unmeasurable)
    return f"ERROR {label}: could not be judged: {why}"


def _ignored_lines(inspection: Inspection) -> list[str]:
    """Ignored and shadowed headers, one entry per header with every reason."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for item in inspection.evidence.get("ignored", []):
        reasons.setdefault((item["name"], item["value"]), []).append(item["reason"])
    if not reasons:
        return []
    lines = ["ignored headers:"]
    for (name, value), why in reasons.items():
        lines.append(f"  {name}: {_short(value)}")
        lines += [f"    why: {reason}" for reason in why]
    return lines


def _method_row(verdict: MethodVerdict) -> str:
    result = verdict.result + (f" ({verdict.raw})" if verdict.mapped else "")
    if verdict.result == "indeterminate":
        result = f"indeterminate ({verdict.raw})"
    aligned = "-" if verdict.aligned is None else ("yes" if verdict.aligned else "no")
    detail: list[str] = []
    if verdict.selector:
        detail.append(f"s={verdict.selector}")
    if verdict.body_hash_mismatch:
        detail.append("body hash did not verify")
    if verdict.source is not None:
        detail += [f"({c})" for c in verdict.source.result.comments[:2]]
    return f"{verdict.method:<7} {result:<14} {verdict.domain or '-':<28} {aligned:<8} " + " ".join(
        detail
    )


def _hop_line(inspection: Inspection) -> str:
    found = inspection.receiving_hop
    if found is None:
        return "receiving hop: not found (TLS unknown)"
    hop = found.hop
    tls = (
        f"TLS yes ({hop.tls_version})"
        if hop.tls and hop.tls_version
        else ("TLS yes" if hop.tls else f"TLS no (with {hop.protocol or '?'})")
    )
    when = hop.timestamp.isoformat() if hop.timestamp else "unknown time"
    guess = " [guessed: no Received by the receiver]" if found.matched_by == "fallback" else ""
    return f"receiving hop: {hop.by_host or '?'} from {hop.ip or '?'}, {tls}, at {when}{guess}"


def _short(value: str, limit: int = 120) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
