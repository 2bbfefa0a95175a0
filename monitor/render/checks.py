"""What `check` and `baseline show` print: a text table, one JSON document, JUnit XML.

Renderers are pure (outcome in, string out), so the CLI decides about terminals and files.
Colour is added only when `color=True` (the CLI passes "stdout is a terminal"); the words
carry the meaning without it. The JSON document's shape is documented in docs/json-schema.md
and versioned: `version` bumps only on a breaking change.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any

import click

from checks.result import CheckResult, Severity, Status
from monitor.engine.check_run import CheckRunOutcome
from monitor.policy.drift import Direction, Drift
from monitor.storage import Baseline, StoredDrift

__all__ = [
    "JSON_VERSION",
    "baselines_document",
    "outcome_document",
    "render_baselines_text",
    "render_junit",
    "render_text",
    "to_json",
]

JSON_VERSION = 1

_STATUS_COLOURS = {"pass": "green", "warn": "yellow", "fail": "red", "error": "magenta"}
_SEVERITY_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan"}


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


def baselines_document(baselines: Sequence[Baseline], drifts: Sequence[StoredDrift]) -> dict:
    """The JSON document of `senderwatch baseline show --format json`."""
    return {
        "version": JSON_VERSION,
        "baselines": [
            {
                "check": b.check,
                "subject": b.subject,
                "environment": b.environment,
                "approved_at": b.approved_at.isoformat(),
                "approved_by": b.approved_by,
                "reason": b.reason,
                "automatic": b.automatic,
                "result_id": b.result_id,
                "observations": dict(b.observations),
            }
            for b in baselines
        ],
        "drifts": [d.drift.to_dict() | {"detected_at": d.detected_at.isoformat()} for d in drifts],
    }


def to_json(document: dict[str, Any]) -> str:
    # default=str: evidence from a check may hold values JSON has no type for.
    return json.dumps(document, indent=2, sort_keys=False, default=str, ensure_ascii=False)


def render_text(outcome: CheckRunOutcome, *, color: bool = False) -> str:
    """A table of results with their findings, the drift found, and a summary line."""
    results = [stored.result for stored in outcome.results]
    drifts = [stored.drift for stored in outcome.drifts]
    lines = _result_table(results, color)
    if drifts:
        lines += ["", "Drift from baseline:", *_drift_lines(drifts, color)]
    lines += ["", _summary(outcome, results, drifts, color)]
    return "\n".join(lines)


def render_baselines_text(
    baselines: Sequence[Baseline], drifts: Sequence[StoredDrift], *, color: bool = False
) -> str:
    """Current baselines (who approved them, when, why) and the drift still open."""
    if not baselines:
        return "No baselines yet: run `senderwatch check` first."
    rows = [
        [
            b.check,
            b.subject,
            b.environment or "-",
            b.approved_at.strftime("%Y-%m-%d %H:%M UTC"),
            b.approved_by,
            b.reason,
        ]
        for b in baselines
    ]
    lines = _table(["check", "subject", "env", "approved", "by", "reason"], rows)
    open_drift = [d.drift for d in drifts]
    lines += ["", "Open drift:" if open_drift else "Open drift: none"]
    lines += _drift_lines(open_drift, color)
    return "\n".join(lines)


def render_junit(outcome: CheckRunOutcome) -> str:
    """JUnit XML for deploy pipelines: one testcase per result.

    A failed check or a critical weakening of its observations is a <failure>; an ERROR
    result (nothing measured) is an <error>.
    """
    drifts = [stored.drift for stored in outcome.drifts]
    cases = [_junit_case(stored.result, drifts) for stored in outcome.results]
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    attrs = {
        "name": "senderwatch check",
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(errors),
        "timestamp": outcome.run.started_at.isoformat(),
        "time": f"{sum(s.result.duration_s for s in outcome.results):.3f}",
    }
    suites = ET.Element(
        "testsuites", {k: attrs[k] for k in ("name", "tests", "failures", "errors")}
    )
    suite = ET.SubElement(suites, "testsuite", attrs)
    suite.extend(cases)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _junit_case(result: CheckResult, drifts: Iterable[Drift]) -> ET.Element:
    classname = (
        result.subject if result.environment is None else f"{result.environment}.{result.subject}"
    )
    case = ET.Element(
        "testcase",
        {"classname": classname, "name": result.check_id, "time": f"{result.duration_s:.3f}"},
    )
    critical = [
        d
        for d in drifts
        if (d.check, d.subject, d.environment) == (result.check, result.subject, result.environment)
        and d.severity is Severity.CRITICAL
        and d.direction is Direction.WEAKENED
    ]
    notable = [f for f in result.findings if f.severity is not Severity.INFO or f.unmeasurable]
    text = "\n".join(
        [f"{f.severity.value} {f.code}: {f.message}" for f in notable]
        + [
            f"drift {d.key}: {_value(d.before)} -> {_value(d.after)} ({d.direction})"
            for d in critical
        ]
    )
    if result.status is Status.ERROR:
        message = "; ".join(f.code for f in result.findings if f.unmeasurable) or "error"
        ET.SubElement(case, "error", {"type": "error", "message": message}).text = text
    elif result.status is Status.FAIL or critical:
        codes = [f.code for f in notable if f.severity is Severity.CRITICAL]
        codes += [f"drift:{d.key}" for d in critical]
        ET.SubElement(case, "failure", {"type": "fail", "message": "; ".join(codes)}).text = text
    return case


def _result_table(results: Sequence[CheckResult], color: bool) -> list[str]:
    rows, details = [], []
    for result in results:
        rows.append([result.status.value, result.check, result.subject, result.environment or "-"])
        details.append(
            [
                _style(f"{f.severity.value:<8}", _SEVERITY_COLOURS[f.severity.value], color)
                + f" {f.code}: {f.message}"
                for f in result.findings
                if f.severity is not Severity.INFO or f.unmeasurable
            ]
        )
    lines = _table(["status", "check", "subject", "env"], rows)
    out = [lines[0]]
    for line, result, extra in zip(lines[1:], results, details, strict=True):
        word = result.status.value
        out.append(_style(word, _STATUS_COLOURS[word], color) + line[len(word) :])
        out += [f"    {text}" for text in extra]
    return out


def _drift_lines(drifts: Sequence[Drift], color: bool) -> list[str]:
    rows = [
        [
            d.severity.value,
            d.direction.value,
            d.check,
            d.subject,
            d.environment or "-",
            f"{d.key}: {_value(d.before)} -> {_value(d.after)}",
        ]
        for d in drifts
    ]
    lines = _table(["severity", "direction", "check", "subject", "env", "change"], rows)
    out = ["  " + lines[0]]
    for line, drift in zip(lines[1:], drifts, strict=True):
        word = drift.severity.value
        out.append("  " + _style(word, _SEVERITY_COLOURS[word], color) + line[len(word) :])
    return out


def _summary(
    outcome: CheckRunOutcome, results: Sequence[CheckResult], drifts: Sequence[Drift], color: bool
) -> str:
    counts = {s.value: sum(1 for r in results if r.status is s) for s in Status}
    parts = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
    critical = sum(1 for d in drifts if d.severity is Severity.CRITICAL)
    drift_part = f"{len(drifts)} drift" + (f" ({critical} critical)" if critical else "")
    if not drifts:
        drift_part = "no drift"
    verdict = outcome.status.value.upper()
    return f"run {outcome.run_id}: {len(results)} checks ({parts}); {drift_part}: " + _style(
        verdict, _STATUS_COLOURS[outcome.status.value], color, bold=True
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _value(value: object) -> str:
    """JSON spelling, so "2048" and 2048, or absent (null) and "none", stay apart."""
    return json.dumps(value, ensure_ascii=False)


def _style(text: str, colour: str, color: bool, *, bold: bool = False) -> str:
    return click.style(text, fg=colour, bold=bold or None) if color else text
