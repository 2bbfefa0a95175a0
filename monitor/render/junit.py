"""JUnit XML for deploy pipelines: one testcase per result, the way CI systems show tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from checks.result import CheckResult, Severity, Status
from monitor.engine.check_run import CheckRunOutcome
from monitor.policy.drift import Direction, Drift
from monitor.render._text import value

__all__ = ["render_junit"]


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
            f"drift {d.key}: {value(d.before)} -> {value(d.after)} ({d.direction})"
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
