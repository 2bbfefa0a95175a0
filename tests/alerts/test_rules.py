"""monitor.policy.alert_mapping: results and drifts → measurements and sightings (pure)."""

from __future__ import annotations

from alerts.event import CHECK_UNAVAILABLE, ProblemKey
from checks.result import Finding, Severity, Status
from monitor.policy.alert_mapping import evidence_excerpt, observe
from monitor.policy.drift import Direction, Drift
from tests.alerts.conftest import finding, result


def drift(key: str, severity: Severity = Severity.CRITICAL) -> Drift:
    return Drift("dmarc", "example.test", None, key, "reject", "none", Direction.WEAKENED, severity)


def test_each_problem_finding_is_one_sighting_and_info_is_ignored() -> None:
    """Warnings and criticals page; informational findings never do."""
    obs = observe([result(finding("spf.missing"), finding("spf.note", Severity.INFO))], [])
    assert [str(s.key) for s in obs.sightings] == ["example.test/spf/spf.missing"]
    assert [(m.scope, m.check, m.errored) for m in obs.measured] == [("example.test", "spf", False)]


def test_drift_is_attached_to_the_checks_finding_and_raises_its_severity() -> None:
    """One alert per problem, carrying what changed; a critical weakening stays critical."""
    res = result(finding("dmarc.policy_none", Severity.WARNING), check="dmarc")
    [s] = observe([res], [drift("dmarc.p")]).sightings
    assert s.key == ProblemKey("example.test", "dmarc", "dmarc.policy_none")
    assert s.severity is Severity.CRITICAL
    assert [(c.key, c.before, c.after) for c in s.changes] == [("dmarc.p", "reject", "none")]


def test_drift_without_a_finding_is_a_problem_of_its_own() -> None:
    """A weakening the check itself accepts is still news: `drift.<key>`."""
    [s] = observe([result(check="dmarc")], [drift("dmarc.p")]).sightings
    assert str(s.key) == "example.test/dmarc/drift.dmarc.p"


def test_error_result_sights_only_check_unavailable() -> None:
    """'Could not measure' never looks like 'record missing'."""
    timeout = Finding("dns.timeout", Severity.CRITICAL, "no answer", unmeasurable=True)
    obs = observe([result(timeout, status=Status.ERROR)], [])
    assert [s.key.code for s in obs.sightings] == [CHECK_UNAVAILABLE]
    assert "no answer" in obs.sightings[0].summary
    assert obs.measured[0].errored


def test_canary_problems_are_labelled_with_the_environments_domain() -> None:
    """Routing by domain works for canaries too, whose subject is the environment."""
    res = result(
        finding("canary.dkim_fail"),
        check="canary",
        kind="canary",
        subject="production",
        environment="production",
    )
    [s] = observe([res], [], environment_domains={"production": "example.test"}).sightings
    assert (s.labels["domain"], s.labels["environment"]) == ("example.test", "production")


def test_two_findings_with_one_code_merge_into_one_problem() -> None:
    """Two DKIM selectors with the same weakness are one page, worst severity wins."""
    res = result(
        finding("dkim.weak_key", Severity.WARNING, "s1 1024 bits"),
        finding("dkim.weak_key", Severity.CRITICAL, "s2 512 bits"),
        check="dkim",
    )
    [s] = observe([res], []).sightings
    assert s.severity is Severity.CRITICAL
    assert "s1 1024 bits" in s.summary and "s2 512 bits" in s.summary


def test_evidence_excerpt_is_short_and_one_line_per_key() -> None:
    """Messages carry an excerpt, never a whole header dump."""
    text = evidence_excerpt({"record": "v=spf1  -all", "huge": "x" * 5000})
    assert text.startswith("huge: xxx")
    assert len(text) == 600
    assert evidence_excerpt({"record": "v=spf1  -all"}) == "record: v=spf1 -all"
