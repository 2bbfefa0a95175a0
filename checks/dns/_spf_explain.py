"""Put check_host()'s outcome for one relay into words for the canary issue.

Why apart from the evaluator: the evaluator answers what a receiver decides; this module
answers what an operator needs to read next ("it matched -all; to pass it would have to
match ip4:198.51.100.0/24"), and quotes the domain's own exp= text on a fail (§6.2).
"""

from __future__ import annotations

from typing import Any

from checks.dns._spf_eval import IP, Evaluator, Outcome, PermError, SpfError
from checks.dns.resolver import to_ulabel

__all__ = ["explain"]


def explain(
    domain: str,
    ip: IP,
    resolver: Any,
    *,
    sender: str,
    helo: str,
    max_lookups: int = 10,
    max_void_lookups: int = 2,
) -> dict[str, Any]:
    """Run check_host() for `ip` at A-label `domain` and put the outcome into words."""
    evaluator = Evaluator(
        ip, sender, helo, resolver, max_lookups=max_lookups, max_void_lookups=max_void_lookups
    )
    shown = to_ulabel(domain)
    base: dict[str, Any] = {"domain": shown, "ip": str(ip), "sender": evaluator.sender}
    try:
        outcome = evaluator.check_host(domain)
    except SpfError as exc:
        if isinstance(exc, PermError):
            text = f"SPF of {shown} is broken for every sender (permerror): {exc}."
        else:
            text = f"SPF of {shown} could not be evaluated (temperror): {exc}."
        return (
            base
            | _counters(evaluator)
            | {
                "result": exc.result,
                "matched": None,
                "explanation": text,
            }
        )
    text = _outcome_text(outcome, str(evaluator.ip), shown)
    if outcome.result == "fail":
        # The exp= of the record that decided applies (a redirect target's own, §6.1).
        published = evaluator.explanation_text(outcome.domain, outcome.record)
        if published:
            text += f" The domain's own explanation (exp=): {published}"
    return (
        base
        | _counters(evaluator)
        | {
            "result": outcome.result,
            "matched": outcome.match.describe() if outcome.match else None,
            "explanation": text,
        }
    )


def _counters(evaluator: Evaluator) -> dict[str, Any]:
    return {
        "lookups": evaluator.lookups,
        "void_lookups": evaluator.voids,
        "trace": list(evaluator.trace),
    }


def _outcome_text(outcome: Outcome, ip: str, shown: str) -> str:
    if outcome.result == "none":
        return f"{shown} publishes no SPF record, so receivers get 'none' for {ip}."
    match = outcome.match
    if outcome.result == "pass" and match is not None:
        inside = f" (inside it: {match.inner.innermost()})" if match.inner else ""
        return (
            f"{ip} is authorised for {shown}: it matched '{match.term.text}' "
            f"in the record of {to_ulabel(match.domain)}{inside}."
        )
    if match is not None:
        head = (
            f"{ip} gets {outcome.result} from {shown}: it matched '{match.term.text}' "
            f"in the record of {to_ulabel(match.domain)}."
        )
    else:
        head = f"{ip} gets neutral from {shown}: nothing matched and there is no 'all' (§4.7)."
    if outcome.skipped_pass:
        need = ", ".join(outcome.skipped_pass)
        return f"{head} To pass it would have to match one of: {need}."
    return f"{head} No mechanism before it authorises any address."
