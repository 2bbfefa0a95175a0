"""Pure: check results, drifts and baseline findings → what the alert lifecycle sees.

What pages and what is posture: a healthy domain pages nobody. A warning the domain already
had when its baseline was taken (no MTA-STS, no TLS-RPT, a 1024-bit key the team accepted) is
its posture, for the weekly report, not for the person on call. Failures, checks that cannot
measure past their grace period, and drift page.

The rules, in order, for each result of a run:

1. Every result is a `Measurement` of (scope, check), where scope is the result's subject: a
   domain for DNS checks, an environment name for canaries. A measured-clean scope lets the
   lifecycle resolve that check's problems.
2. An `error` result ("could not measure") sights one problem only, `check.unavailable`,
   which the lifecycle fires after the error grace period. It never resolves or raises the
   check's other problems: a resolver hiccup is no evidence either way.
3. Otherwise each finding of severity critical is a problem keyed by its code; so is each
   finding of severity warning whose code the baseline's result did not have (new since the
   baseline, alerting as a warning). A warning whose code the baseline's result already had
   (same check, subject and environment) is posture: not a problem, so an alert it left open
   resolves once `baseline approve` accepts it. A key with no baseline has no posture.
4. The check's drifts are attached to its problems as "what changed". A drift at least as
   severe as the problem raises its severity (a critical weakening is never routed as a
   warning) and words its summary (`DMARC policy of example.com weakened: p reject → none`),
   unless the problem is a missing record, which says more than its drifts.
5. Drifts of severity warning or critical in a check with no such problem are problems of
   their own, keyed `drift.<observation key>` (`drift.dmarc.p`).

Labels carry `domain` (an environment's domain for canaries), `environment`, `check`, `kind`
and `code`, which is what routing and silences match on. Summaries and evidence are worded in
`monitor.policy.alert_text`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from alerts.event import CHECK_UNAVAILABLE, Change, ProblemKey, Sighting
from alerts.lifecycle import Measurement, RunObservation
from checks.result import CheckResult, Finding, Severity, Status
from monitor.policy.alert_text import (
    drift_summary,
    evidence_excerpt,
    finding_summary,
    unavailable_summary,
)
from monitor.policy.drift import Drift

__all__ = ["BaselineCodes", "ResultKey", "observe", "pages"]

ResultKey = tuple[str, str, str | None]  # (check, subject, environment), as baselines key them
BaselineCodes = Mapping[ResultKey, Collection[str]]
"""Finding codes of the result each key's current baseline was taken from."""

_PROBLEM = Severity.WARNING.rank


def observe(
    results: Iterable[CheckResult],
    drifts: Iterable[Drift],
    *,
    baseline_codes: BaselineCodes | None = None,
    environment_domains: Mapping[str, str] | None = None,
) -> RunObservation:
    """Turn one run's results and drifts into measurements and sightings.

    Args:
        results: every result of the run.
        drifts: the drifts found against the baselines.
        baseline_codes: per (check, subject, environment), the finding codes of the result
            its current baseline was taken from: warnings among them are posture (rule 3).
        environment_domains: environment name → its domain, to label canary problems.
    """
    env_domains = dict(environment_domains or {})
    accepted = baseline_codes or {}
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
        if errored:
            found = [_unavailable(result, labels)]
        else:
            known = accepted.get((result.check, result.subject, result.environment), ())
            checked = by_check.get((result.subject, result.check), [])
            found = _sightings(result, labels, checked, known)
        for sighting in found:
            sightings[sighting.key] = _merge(sightings.get(sighting.key), sighting)
    return RunObservation(tuple(measured), tuple(sightings[k] for k in sorted(sightings, key=str)))


def pages(finding: Finding, baseline_codes: Collection[str]) -> bool:
    """Rule 3: critical always; warning only when new since the baseline; info never."""
    if finding.severity is Severity.CRITICAL:
        return True
    return finding.severity is Severity.WARNING and finding.code not in baseline_codes


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
    result: CheckResult,
    labels: Mapping[str, str],
    drifts: Sequence[Drift],
    baseline_codes: Collection[str],
) -> list[Sighting]:
    changes = tuple(Change(d.key, d.before, d.after, d.direction.value) for d in drifts)
    worst = max(drifts, key=lambda d: d.severity.rank, default=None)
    evidence = evidence_excerpt(result.evidence)
    problems: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if pages(finding, baseline_codes):
            problems.setdefault(finding.code, []).append(finding)
    out = []
    for code, findings in problems.items():
        severity = max((f.severity for f in findings), key=lambda s: s.rank)
        summary = finding_summary(result, findings)
        if worst is not None and worst.severity.rank >= severity.rank:
            severity = worst.severity
            # the change that caused the problem says most, unless a record is simply gone
            if not code.endswith("missing"):
                summary = drift_summary(worst, more=len(drifts) - 1)
        out.append(
            _sighting(result, labels, code, severity, summary, changes=changes, evidence=evidence)
        )
    if not problems:
        for drift, change in zip(drifts, changes, strict=True):
            out.append(
                _sighting(
                    result,
                    labels,
                    f"drift.{drift.key}",
                    drift.severity,
                    drift_summary(drift),
                    changes=(change,),
                    evidence=evidence,
                )
            )
    return out


def _sighting(
    result: CheckResult,
    labels: Mapping[str, str],
    code: str,
    severity: Severity,
    summary: str,
    *,
    changes: tuple[Change, ...],
    evidence: Mapping[str, Any],
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


def _unavailable(result: CheckResult, labels: Mapping[str, str]) -> Sighting:
    return _sighting(
        result,
        labels,
        CHECK_UNAVAILABLE,
        Severity.CRITICAL,
        unavailable_summary(result),
        changes=(),
        evidence=evidence_excerpt(result.evidence),
    )


def _merge(old: Sighting | None, new: Sighting) -> Sighting:
    """One key sighted by two results of one run (a subject listed twice): one problem."""
    if old is None:
        return new
    worse = new if new.severity.rank > old.severity.rank else old
    summary = old.summary if new.summary == old.summary else f"{old.summary}; {new.summary}"
    return Sighting(
        key=old.key,
        kind=old.kind,
        severity=worse.severity,
        summary=summary[:500],
        labels=old.labels,
        changes=old.changes,
        evidence=old.evidence,
    )
