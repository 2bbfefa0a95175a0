"""Output: the text table, the one JSON document and JUnit XML, from a fixed outcome."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import click

from checks.result import Finding, Severity, Status
from monitor.engine.check_run import CheckRunOutcome, RunStatus
from monitor.policy.drift import Direction, Drift
from monitor.render.baselines import baselines_document, render_baselines_text
from monitor.render.checks import outcome_document, render_text, to_json
from monitor.render.junit import render_junit
from monitor.storage import Baseline, RunRecord, StoredDrift, StoredResult
from tests.monitor._docs import assert_valid_check_document, check_document_schema
from tests.monitor._fakes import T0, make_result, timeout_finding

POLICY_NONE = Finding("dmarc.policy_none", Severity.CRITICAL, "DMARC policy is none")
WEAKENED = Drift(
    "dmarc", "a.test", None, "dmarc.p", "reject", "none", Direction.WEAKENED, Severity.CRITICAL
)
ADDED = Drift(
    "spf", "a.test", None, "spf.include.x.test", None, True, Direction.ADDED, Severity.WARNING
)


def _outcome() -> CheckRunOutcome:
    results = [
        make_result("spf", "a.test", observations={"spf.all": "-all"}),
        make_result(
            "dmarc",
            "a.test",
            status=Status.FAIL,
            findings=(POLICY_NONE,),
            observations={"dmarc.p": "none"},
        ),
        make_result(
            "mx", "b.test", environment="prod", status=Status.ERROR, findings=(timeout_finding(),)
        ),
    ]
    return CheckRunOutcome(
        run=RunRecord(7, "cli", T0, T0 + dt.timedelta(seconds=2), "fail", None),
        results=tuple(StoredResult(i + 1, 7, r) for i, r in enumerate(results)),
        drifts=(StoredDrift(1, 2, 1, T0, WEAKENED), StoredDrift(2, 1, 2, T0, ADDED)),
        new_baselines=(),
        status=RunStatus.FAIL,
    )


def test_json_document_has_the_documented_shape() -> None:
    """Programs read this; docs/json-schema.md promises every key."""
    doc = json.loads(to_json(outcome_document(_outcome())))
    assert list(doc) == [
        "version",
        "status",
        "started_at",
        "finished_at",
        "run_id",
        "results",
        "drifts",
    ]
    assert (doc["version"], doc["status"], doc["run_id"]) == (1, "fail", 7)
    assert doc["started_at"] == "2025-03-01T12:00:00+00:00"
    assert [r["check"] for r in doc["results"]] == ["spf", "dmarc", "mx"]
    assert doc["results"][1]["findings"][0]["code"] == "dmarc.policy_none"
    assert doc["drifts"][0] == {
        "check": "dmarc", "subject": "a.test", "environment": None, "key": "dmarc.p",
        "before": "reject", "after": "none", "direction": "weakened", "severity": "critical",
    }  # fmt: skip


def test_json_document_matches_the_documented_json_schema() -> None:
    """docs/json-schema.md is the contract; the schema's required keys are exactly ours."""
    doc = json.loads(to_json(outcome_document(_outcome())))
    assert_valid_check_document(doc)
    schema = check_document_schema()
    assert schema["required"] == list(doc)
    assert schema["$defs"]["result"]["required"] == list(doc["results"][0])
    assert schema["$defs"]["drift"]["required"] == list(doc["drifts"][0])
    assert schema["$defs"]["finding"]["required"] == list(doc["results"][1]["findings"][0])


def test_text_table_lists_results_findings_drift_and_verdict() -> None:
    """A person reads status, check, subject, why, and what moved, at a glance."""
    text = render_text(_outcome(), color=False)
    lines = text.splitlines()
    assert lines[0].split() == ["status", "check", "subject", "env"]
    assert lines[1].split() == ["pass", "spf", "a.test", "-"]
    assert lines[2].split() == ["fail", "dmarc", "a.test", "-"]
    assert lines[3].strip() == "critical dmarc.policy_none: DMARC policy is none"
    assert lines[4].split() == ["error", "mx", "b.test", "prod"]
    assert "Drift from baseline:" in lines
    assert any('dmarc.p: "reject" -> "none"' in line and "weakened" in line for line in lines)
    assert any("spf.include.x.test: null -> true" in line for line in lines)
    assert lines[-1] == "run 7: 3 checks (1 pass, 1 fail, 1 error); 2 drifts (1 critical): FAIL"
    assert "\x1b[" not in text


def test_colour_only_when_asked() -> None:
    """On a terminal the words are coloured; in a pipe they are plain."""
    coloured = render_text(_outcome(), color=True)
    assert click.style("fail", fg="red") in coloured
    assert click.style("FAIL", fg="red", bold=True) in coloured
    assert click.unstyle(coloured) == render_text(_outcome(), color=False)


def test_junit_has_one_case_per_result_with_failures_and_errors() -> None:
    """Deploy pipelines show a failed check or critical drift as failed, a blind one as error."""
    root = ET.fromstring(render_junit(_outcome()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"dns.spf", "dns.dmarc", "dns.mx"}
    failure = cases["dns.dmarc"].find("failure")
    assert failure is not None
    assert failure.get("message") == "dmarc.policy_none; drift:dmarc.p"
    assert cases["dns.mx"].get("classname") == "prod.b.test"
    error = cases["dns.mx"].find("error")
    assert error is not None
    assert error.get("message") == "dns.timeout"
    assert cases["dns.spf"].find("failure") is None


def test_critical_drift_alone_fails_its_testcase() -> None:
    """A passing check whose observations weakened still fails the pipeline."""
    outcome = _outcome()
    drift = Drift(
        "spf", "a.test", None, "spf.all", "-all", "~all", Direction.WEAKENED, Severity.CRITICAL
    )
    outcome = CheckRunOutcome(
        outcome.run, outcome.results, (StoredDrift(3, 1, 1, T0, drift),), (), RunStatus.FAIL
    )
    case = ET.fromstring(render_junit(outcome)).find("testsuite/testcase[@name='dns.spf']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "drift:spf.all"


BASELINE = Baseline(
    3, "dmarc", "a.test", None, 9, {"dmarc.p": "reject"}, T0, "ana", "launch", False
)


def test_baselines_text_shows_who_when_why_and_open_drift() -> None:
    """`baseline show` answers who accepted what, when and why, and what is still open."""
    text = render_baselines_text([BASELINE], [StoredDrift(1, 2, 3, T0, WEAKENED)])
    lines = text.splitlines()
    assert lines[0].split() == ["check", "subject", "env", "approved", "by", "reason"]
    assert lines[1].split() == [
        "dmarc",
        "a.test",
        "-",
        "2025-03-01",
        "12:00",
        "UTC",
        "ana",
        "launch",
    ]
    assert "Open drift:" in lines
    assert render_baselines_text([], []).startswith("No baselines yet")


def test_baselines_json_document() -> None:
    """The same facts for programs."""
    doc = json.loads(to_json(baselines_document([BASELINE], [StoredDrift(1, 2, 3, T0, WEAKENED)])))
    assert doc["version"] == 1
    assert doc["baselines"][0]["observations"] == {"dmarc.p": "reject"}
    assert doc["baselines"][0]["approved_by"] == "ana"
    assert doc["drifts"][0]["key"] == "dmarc.p"
    assert doc["drifts"][0]["detected_at"] == "2025-03-01T12:00:00+00:00"
