"""Pure: check results and drifts → what the alert lifecycle sees (`RunObservation`).

The rules, in order, for each result of a run:

1. Every result is a `Measurement` of (scope, check), where scope is the result's subject: a
   domain for DNS checks, an environment name for canaries. A measured-clean scope lets the
   lifecycle resolve that check's problems.
2. An `error` result ("could not measure") sights one problem only, `check.unavailable`,
   which the lifecycle fires after the error grace period. It never resolves or raises the
   check's other problems: a resolver hiccup is no evidence either way.
3. Otherwise each finding of severity warning or critical is a problem keyed by its code.
   The check's drifts are attached to it as "what changed", and raise its severity to the
   drift's if higher (a critical weakening is never routed as a warning).
4. Drifts of severity warning or critical in a check with no such finding are problems of
   their own, keyed `drift.<observation key>` (`drift.dmarc.p`).

Labels carry `domain` (an environment's domain for canaries), `environment`, `check`, `kind`
and `code`, which is what routing and silences match on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from alerts.event import CHECK_UNAVAILABLE, Change, ProblemKey, Sighting
from alerts.lifecycle import Measurement, RunObservation
from checks.result import CheckResult, Finding, Severity, Status
from monitor.policy.drift import Drift

__all__ = ["EVIDENCE_MAX", "evidence_excerpt", "observe"]

EVIDENCE_MAX = 600
_PROBLEM = Severity.WARNING.rank


def observe(
    results: Iterable[CheckResult],
    drifts: Iterable[Drift],
    *,
    environment_domains: Mapping[str, str] | None = None,
) -> RunObservation:
    """Turn one run's results and drifts into measurements and sightings.

    Args:
        results: every result of the run.
        drifts: the drifts found against the baselines.
        environment_domains: environment name → its domain, to label canary problems.
    """
    env_domains = dict(environment_domains or {})
    by_check: dict[tuple[str, str], list[Drift]] = {}
    for drift in drifts:
        if drift.severity.rank >= _PROBLEM:
            by_check.setdefault((drift.subject, drift.check), []).append(drift)
    measured: list[Measurement] = []
    sightings: dict[ProblemKey, Sighting] = {}
    for result in results:
        errored = result.status is Status.ERROR
        measured.append(Measurement(result.subject, result.check, errored))
        labels = _labels(result, env_domains)
        found = (
            [_unavailable(result, labels)]
            if errored
            else _sightings(result, labels, by_check.get((result.subject, result.check), []))
        )
        for sighting in found:
            sightings[sighting.key] = _merge(sightings.get(sighting.key), sighting)
    return RunObservation(tuple(measured), tuple(sightings[k] for k in sorted(sightings, key=str)))


def _labels(result: CheckResult, env_domains: Mapping[str, str]) -> dict[str, str]:
    if result.kind == "dns":
        domain = result.subject
    else:
        domain = env_domains.get(result.subject) or env_domains.get(result.environment or "", "")
    environment = result.environment or (result.subject if result.kind != "dns" else "")
    return {
        "domain": domain,
        "environment": environment,
        "check": result.check,
        "kind": result.kind,
    }


def _sightings(
    result: CheckResult, labels: Mapping[str, str], drifts: Sequence[Drift]
) -> list[Sighting]:
    changes = tuple(Change(d.key, d.before, d.after, d.direction.value) for d in drifts)
    worst_drift = max((d.severity for d in drifts), key=lambda s: s.rank, default=None)
    evidence = evidence_excerpt(result.evidence)
    problems = [f for f in result.findings if f.severity.rank >= _PROBLEM]
    out = []
    for finding in problems:
        severity = finding.severity
        if worst_drift is not None and worst_drift.rank > severity.rank:
            severity = worst_drift
        out.append(
            _sighting(
                result,
                labels,
                code=finding.code,
                severity=severity,
                summary=_summary(result, finding),
                changes=changes,
                evidence=evidence,
            )
        )
    if not problems:
        for drift, change in zip(drifts, changes, strict=True):
            summary = (
                f"{result.check.upper()} {result.subject}: {drift.key} {drift.direction.value}"
                f" ({drift.before!r} → {drift.after!r})"
            )
            out.append(
                _sighting(
                    result,
                    labels,
                    code=f"drift.{drift.key}",
                    severity=drift.severity,
                    summary=summary,
                    changes=(change,),
                    evidence=evidence,
                )
            )
    return out


def _sighting(
    result: CheckResult,
    labels: Mapping[str, str],
    *,
    code: str,
    severity: Severity,
    summary: str,
    changes: tuple[Change, ...],
    evidence: str,
) -> Sighting:
    return Sighting(
        key=ProblemKey(result.subject, result.check, code),
        kind=result.kind,
        severity=severity,
        summary=summary,
        labels={**labels, "code": code},
        changes=changes,
        evidence=evidence,
    )


def _summary(result: CheckResult, finding: Finding) -> str:
    return f"{result.check.upper()} {result.subject}: {finding.message}"


def _unavailable(result: CheckResult, labels: Mapping[str, str]) -> Sighting:
    reasons = "; ".join(f.message for f in result.findings if f.unmeasurable) or "error"
    summary = f"{result.check.upper()} {result.subject}: check could not measure ({reasons})"
    return _sighting(
        result,
        labels,
        code=CHECK_UNAVAILABLE,
        severity=Severity.CRITICAL,
        summary=summary[:500],
        changes=(),
        evidence=evidence_excerpt(result.evidence),
    )


def _merge(old: Sighting | None, new: Sighting) -> Sighting:
    """Two findings with one code in one check (e.g. two DKIM selectors): one problem."""
    if old is None:
        return new
    worse = new if new.severity.rank > old.severity.rank else old
    return Sighting(
        key=old.key,
        kind=old.kind,
        severity=worse.severity,
        summary=f"{old.summary}; {new.summary}"[:500],
        labels=old.labels,
        changes=old.changes,
        evidence=old.evidence,
    )


def evidence_excerpt(evidence: Mapping[str, object], limit: int = EVIDENCE_MAX) -> str:
    """A short human excerpt of raw evidence (records, headers): `key: value` lines, cut."""
    lines = []
    for key in sorted(evidence):
        value = evidence[key]
        text = value if isinstance(value, str) else repr(value)
        lines.append(f"{key}: {' '.join(str(text).split())}")
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"
