"""monitor.policy.alert_mapping: results and drifts → measurements and sightings (pure)."""

from __future__ import annotations

from alerts.event import CHECK_UNAVAILABLE, ProblemKey
from checks.result import Finding, Severity, Status
from monitor.policy.alert_mapping import observe
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


def test_warning_already_in_the_baseline_is_posture_not_a_problem() -> None:
    """No MTA-STS when the baseline was taken is the domain's posture: it pages nobody."""
    res = result(finding("mta_sts.missing", Severity.WARNING), check="mta_sts")
    obs = observe(
        [res], [], baseline_codes={("mta_sts", "example.test", None): {"mta_sts.missing"}}
    )
    assert obs.sightings == ()
    assert [(m.scope, m.check, m.errored) for m in obs.measured] == [
        ("example.test", "mta_sts", False)
    ]


def test_warning_new_since_the_baseline_alerts_as_a_warning() -> None:
    """A warning that appeared after the baseline is news, at its own severity."""
    res = result(
        finding("dmarc.pct_partial", Severity.WARNING, "pct=50: legacy partial enforcement."),
        finding("dmarc.no_rua", Severity.INFO),
        check="dmarc",
    )
    baseline = {("dmarc", "example.test", None): {"dmarc.no_rua"}}
    [s] = observe([res], [], baseline_codes=baseline).sightings
    assert (s.key.code, s.severity) == ("dmarc.pct_partial", Severity.WARNING)
    assert s.summary == "DMARC of example.test: pct=50: legacy partial enforcement"


def test_critical_alerts_even_when_the_baseline_already_had_it() -> None:
    """A failure is never posture: a domain that started broken keeps paging until fixed."""
    res = result(finding("spf.missing", Severity.CRITICAL))
    baseline = {("spf", "example.test", None): {"spf.missing"}}
    [s] = observe([res], [], baseline_codes=baseline).sightings
    assert str(s.key) == "example.test/spf/spf.missing"


def test_posture_belongs_to_one_check_subject_and_environment() -> None:
    """A warning accepted for production, or for another domain, is news anywhere else."""
    staging = result(
        finding("tlsrpt.missing", Severity.WARNING), check="tlsrpt", environment="staging"
    )
    other = result(finding("tlsrpt.missing", Severity.WARNING), check="tlsrpt", subject="b.test")
    baseline = {("tlsrpt", "example.test", "production"): {"tlsrpt.missing"}}
    obs = observe([staging, other], [], baseline_codes=baseline)
    assert sorted(str(s.key) for s in obs.sightings) == [
        "b.test/tlsrpt/tlsrpt.missing",
        "example.test/tlsrpt/tlsrpt.missing",
    ]


def test_without_a_baseline_every_warning_alerts() -> None:
    """A key with no baseline (every result so far errored) has no accepted posture."""
    res = result(finding("dkim.weak_key", Severity.WARNING), check="dkim")
    assert [s.key.code for s in observe([res], [], baseline_codes={}).sightings] == [
        "dkim.weak_key"
    ]


def test_drift_still_pages_when_the_checks_warnings_are_posture() -> None:
    """Accepted pct=50 does not hide p weakening from reject to none."""
    res = result(finding("dmarc.pct_partial", Severity.WARNING), check="dmarc")
    baseline = {("dmarc", "example.test", None): {"dmarc.pct_partial"}}
    [s] = observe([res], [drift("dmarc.p")], baseline_codes=baseline).sightings
    assert (str(s.key), s.severity) == ("example.test/dmarc/drift.dmarc.p", Severity.CRITICAL)
    assert s.summary == "DMARC policy of example.test weakened: p reject → none"


def test_summary_of_a_problem_caused_by_a_drift_says_what_moved() -> None:
    """`DMARC policy of example.test weakened: p reject → none`, not a code or a repr."""
    res = result(finding("dmarc.policy_none", Severity.WARNING), check="dmarc")
    [s] = observe([res], [drift("dmarc.p")]).sightings
    assert s.summary == "DMARC policy of example.test weakened: p reject → none"


def test_a_missing_record_is_summarised_as_missing_even_with_its_drifts() -> None:
    """`DMARC record of example.test missing` says more than `present true → (absent)`."""
    res = result(finding("dmarc.missing", Severity.CRITICAL), check="dmarc")
    gone = Drift(
        "dmarc",
        "example.test",
        None,
        "dmarc.present",
        True,
        False,
        Direction.WEAKENED,
        Severity.CRITICAL,
    )
    [s] = observe([res], [gone, drift("dmarc.p")]).sightings
    assert s.summary == "DMARC record of example.test missing"
    assert [c.key for c in s.changes] == ["dmarc.present", "dmarc.p"]


def test_evidence_is_carried_as_a_json_object() -> None:
    """Channels get the evidence as data (the webhook sends it as is), never a repr string."""
    res = result(finding("spf.missing"), evidence={"lookup": {"name": "example.test", "ttl": 300}})
    [s] = observe([res], []).sightings
    assert s.evidence == {"lookup": {"name": "example.test", "ttl": 300}}
