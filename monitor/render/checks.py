"""What `check` prints: a text table of results and drift, or one JSON document.

Renderers are pure (outcome in, string out), so the CLI decides about terminals and files.
Colour is added only when `color=True` (the CLI passes "stdout is a terminal"); the words
carry the meaning without it. The JSON document's shape is documented in docs/json-schema.md
and versioned: `version` bumps only on a breaking change.

Two choices made for the person reading the text:
- A finding that means "could not measure" is labelled `error`, never `critical`: nothing
  is known to be wrong with the record, only that it could not be read.
- When DNS itself did not answer, that is said once ("no answer from 127.0.0.1:5999 for 12
  checks") instead of repeating the same timeout under every check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from checks.result import CheckResult, Finding, Severity, Status
from monitor.engine.check_run import CheckRunOutcome
from monitor.policy.drift import Drift
from monitor.render._text import SEVERITY_COLOURS, STATUS_COLOURS, plural, style, table, value
from monitor.render.json_doc import JSON_VERSION, to_json

__all__ = ["JSON_VERSION", "drift_lines", "outcome_document", "render_text", "to_json"]

# Causes that mean "the resolver did not answer at all", as opposed to an answer we dislike.
_NO_ANSWER = {"dns.timeout", "dns.network"}


def outcome_document(outcome: CheckRunOutcome) -> dict[str, Any]:
    """The one JSON document of `senderwatch check --format json`."""
    run = outcome.run
    return {
        "version": JSON_VERSION,
        "status": outcome.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "run_id": run.id,
        "results": [stored.result.to_dict() for stored in outcome.results],
        "drifts": [stored.drift.to_dict() for stored in outcome.drifts],
    }


def render_text(
    outcome: CheckRunOutcome, *, color: bool = False, nameservers: str = "the resolver"
) -> str:
    """A table of results with their findings, the drift found, and a summary line.

    Args:
        outcome: the stored run.
        color: add terminal colours.
        nameservers: how to name the DNS servers asked ("127.0.0.1:5999"), for the one line
            that says DNS did not answer.
    """
    results = [stored.result for stored in outcome.results]
    drifts = [stored.drift for stored in outcome.drifts]
    silent = _no_answer(results)
    lines = _result_table(results, color, hide=silent)
    if len(silent) > 1:
        lines += [
            "",
            style("error", SEVERITY_COLOURS["error"], color)
            + f": no answer from {nameservers} for {plural(len(silent), 'check')}"
            " (DNS timeout or network unreachable): is DNS reachable from here?",
        ]
    if drifts:
        lines += ["", "Drift from baseline:", *drift_lines(drifts, color)]
    lines += ["", _summary(outcome, results, drifts, color)]
    return "\n".join(lines)


def drift_lines(drifts: Sequence[Drift], color: bool) -> list[str]:
    """One row per drift: severity, direction, check, subject, env, key: before -> after."""
    rows = [
        [
            d.severity.value,
            d.direction.value,
            d.check,
            d.subject,
            d.environment or "-",
            f"{d.key}: {value(d.before)} -> {value(d.after)}",
        ]
        for d in drifts
    ]
    lines = table(["severity", "direction", "check", "subject", "env", "change"], rows)
    out = ["  " + lines[0]]
    for line, drift in zip(lines[1:], drifts, strict=True):
        word = drift.severity.value
        out.append("  " + style(word, SEVERITY_COLOURS[word], color) + line[len(word) :])
    return out


def _no_answer(results: Sequence[CheckResult]) -> set[int]:
    """Indexes of ERROR results whose every finding that matters is a DNS non-answer."""
    silent = set()
    for index, result in enumerate(results):
        shown = _shown(result)
        if result.status is Status.ERROR and shown and all(f.code in _NO_ANSWER for f in shown):
            silent.add(index)
    return silent


def _shown(result: CheckResult) -> list[Finding]:
    return [f for f in result.findings if f.severity is not Severity.INFO or f.unmeasurable]


def _label(finding: Finding) -> str:
    return "error" if finding.unmeasurable else finding.severity.value


def _result_table(results: Sequence[CheckResult], color: bool, hide: set[int]) -> list[str]:
    rows, details = [], []
    for index, result in enumerate(results):
        rows.append([result.status.value, result.check, result.subject, result.environment or "-"])
        shown = [] if index in hide and len(hide) > 1 else _shown(result)
        details.append(
            [
                style(f"{_label(f):<8}", SEVERITY_COLOURS[_label(f)], color)
                + f" {f.code}: {f.message}"
                for f in shown
            ]
        )
    lines = table(["status", "check", "subject", "env"], rows)
    out = [lines[0]]
    for line, result, extra in zip(lines[1:], results, details, strict=True):
        word = result.status.value
        out.append(style(word, STATUS_COLOURS[word], color) + line[len(word) :])
        out += [f"    {text}" for text in extra]
    return out


def _summary(
    outcome: CheckRunOutcome, results: Sequence[CheckResult], drifts: Sequence[Drift], color: bool
) -> str:
    counts = Counter(r.status for r in results)
    parts = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    critical = sum(1 for d in drifts if d.severity is Severity.CRITICAL)
    drift_part = "no drift"
    if drifts:
        drift_part = plural(len(drifts), "drift", "drifts") + (
            f" ({critical} critical)" if critical else ""
        )
    verdict = outcome.status.value.upper()
    return (
        f"run {outcome.run_id}: {plural(len(results), 'check')} ({parts}); {drift_part}: "
        + style(verdict, STATUS_COLOURS[outcome.status.value], color, bold=True)
    )
