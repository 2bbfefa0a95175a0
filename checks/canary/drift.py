"""Which way the canary round trip's observations are stronger: what the receiver said about a
real message. Kept apart from `roundtrip.py` so the drift policy can read it without loading
the senders and inbox readers."""

from __future__ import annotations

from checks.drift_rules import CRITICAL, Rule

__all__ = ["DRIFT_RULES"]

DRIFT_RULES: tuple[Rule, ...] = (
    Rule("canary.spf", "pass", CRITICAL),
    Rule("canary.dkim", "pass", CRITICAL),
    Rule("canary.dmarc", "pass", CRITICAL),
    Rule("canary.spf_aligned", "true", CRITICAL),
    Rule("canary.dkim_aligned", "true", CRITICAL),
    Rule("canary.tls", "true", CRITICAL),
    Rule("canary.delivered", "true", CRITICAL),
)
