"""Classify report sources for a set of (domain, IP) pairs: configured senders, the domain's
own SPF, or reverse-DNS organisation (`checks.reports.senders`), through one resolver."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from checks.reports.senders import Source, SourceClassifier
from monitor.config import Settings
from monitor.engine.runner import make_resolver
from monitor.wiring.reports import sender_rules

__all__ = ["classify_sources"]


def _classifiers(settings: Settings) -> Callable[[str], SourceClassifier]:
    """One classifier per domain, sharing one resolver (and its cache)."""
    resolver = make_resolver(settings.dns)
    classifiers: dict[str, SourceClassifier] = {}

    def of(domain: str) -> SourceClassifier:
        classifier = classifiers.get(domain)
        if classifier is None:
            domain_settings = settings.domain(domain)
            rules = sender_rules(domain_settings) if domain_settings else ()
            classifier = classifiers[domain] = SourceClassifier(resolver, domain, rules)
        return classifier

    return of


def classify_sources(
    settings: Settings, pairs: Mapping[tuple[str, str], str | None]
) -> dict[tuple[str, str], Source]:
    """(domain, ip) → Source, for each pair with its stored reverse name."""
    of = _classifiers(settings)
    return {(domain, ip): of(domain).classify(ip, name) for (domain, ip), name in pairs.items()}
