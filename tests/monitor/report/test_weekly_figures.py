"""The weekly report's figures, from a seeded database (tests/monitor/report/_seed.py).

Every number below follows from the seed's docstring; each test says which.
"""

from __future__ import annotations

import pytest

from monitor.app import App
from monitor.errors import UsageError
from monitor.policy.weekly_model import Mark, Section
from monitor.services.report import build_weekly, parse_week, render_weekly
from tests.monitor.report import _seed


def _section(app: App, env: str | None) -> Section:
    report = build_weekly(app, "2026-W47", env=env) if env else build_weekly(app, "2026-W47")
    return next(s for s in report.sections if s.environment == env)


def test_canary_rates_and_latency_percentiles_are_the_seeded_ones(app: App) -> None:
    """28 canaries, two failing DKIM; latencies 1..28 s: p50 14, p95 27, max 28."""
    canary = _section(app, "production").canary
    assert canary is not None
    assert (canary.sent, canary.judged, canary.passed) == (28, 28, 26)
    assert canary.rates == {
        "spf": 100.0,
        "dkim": 92.9,
        "dmarc": 92.9,
        "aligned": 100.0,
        "tls": 100.0,
    }
    assert (canary.latency_p50, canary.latency_p95, canary.latency_max) == (14.0, 27.0, 28.0)
    assert [d.sent for d in canary.days] == [4] * 7
    assert canary.days[1].dkim == 75.0  # Tuesday: k=5 of k=4..7 failed
    assert canary.days[0].latency_p50 == 2.0  # Monday: 1, 2, 3, 4 s (nearest rank)


def test_canary_failures_name_their_step_and_releases_their_runs(app: App) -> None:
    """The two DKIM failures, at the authentication step; release v1.2.3 had 4 of 4 pass."""
    canary = _section(app, "production").canary
    assert canary is not None
    assert [(f.code, f.step, f.at.day) for f in canary.failures] == [
        ("canary.dkim_fail", "authentication", 17),
        ("canary.dkim_fail", "authentication", 21),
    ]
    assert [(r.release, r.sent, r.passed) for r in canary.releases] == [("v1.2.3", 4, 4)]


def test_dns_counts_and_week_over_week_deltas(app: App) -> None:
    """84 DNS results a week; 26 pass in W47 against 28 in W46: 31.0 % vs 33.3 %."""
    section = _section(app, None)
    assert (section.checks.runs, section.checks.passed, section.checks.warned) == (84, 26, 58)
    deltas = {d.name: d for d in section.deltas}
    passing = deltas["DNS checks passing"]
    assert (passing.current, passing.previous, passing.change) == (31.0, 33.3, -2.3)
    assert passing.improved is False
    assert (deltas["Changes (drift)"].current, deltas["Changes (drift)"].previous) == (1, 0)
    env = {d.name: d for d in _section(app, "production").deltas}
    assert (env["Canaries passing DMARC"].current, env["Canaries passing DMARC"].previous) == (
        92.9,
        100.0,
    )
    assert (env["Delivery latency p95"].current, env["Delivery latency p95"].previous) == (
        27.0,
        10.0,
    )


def test_drift_shows_before_and_after_and_approvals_who_and_why(app: App) -> None:
    """DMARC went reject → none twice on Wednesday: one change seen twice; alice approved."""
    section = _section(app, None)
    assert [(d.key, d.before, d.after, d.direction, d.sightings) for d in section.drifts] == [
        ("dmarc.p", "reject", "none", "weakened", 2)
    ]
    assert [(a.check, a.approved_by, a.reason) for a in section.approvals] == [
        ("dmarc", "alice", "p=none was a test")
    ]


def test_alerts_opened_resolved_firing_and_silences(app: App) -> None:
    """The domain's alert resolved in 12 h; the environment's still fires; one silence."""
    domain = _section(app, None).alerts
    assert [a.key for a in domain.opened] == ["example.test/dmarc/dmarc.policy_none"]
    assert domain.mean_time_to_resolve_s == 12 * 3600
    assert [(s.matches, s.created_by) for s in domain.silences] == [("example.test", "bob")]
    env = _section(app, "production").alerts
    assert [a.key for a in env.firing] == ["production/canary/canary.dkim_fail"]


def test_posture_lines_carry_verdicts_and_standing_warnings(app: App) -> None:
    """SPF 3 of 10 lookups (warns ~all), DKIM s1 rsa 1024 (warns), DMARC back to reject,
    the relay with 20 days of certificate left."""
    section = _section(app, "production")
    lines = {p.name: p for p in section.posture}
    assert lines["SPF"].summary.startswith("3 of 10 DNS lookups used")
    assert lines["SPF"].mark is Mark.WARN and lines["SPF"].warnings == ("SPF ends with ~all",)
    assert (lines["DKIM s1"].summary, lines["DKIM s1"].mark) == ("rsa 1024 bits", Mark.WARN)
    assert lines["DMARC"].summary == "p=reject pct=100, reports to mailto:d@example.test"
    assert lines["MX"].mark is Mark.UNKNOWN  # never measured: said so, not hidden
    assert lines["Relay TLS"].summary == "STARTTLS, TLSv1.3, certificate valid, 20 days left"


def test_checklist_judges_each_requirement_with_evidence_and_links(app: App) -> None:
    """DKIM at 92.9 % fails; DMARC p=reject passes; one-click fails with DKIM; reverse DNS
    fails: the blocklists check found 192.0.2.26 without a PTR (more: test_report_senders)."""
    items = {i.requirement: i for i in _section(app, "production").checklist}
    assert items["SPF passes"].mark is Mark.PASS
    assert items["DKIM passes"].mark is Mark.FAIL
    assert "26 of 28" in items["DKIM passes"].evidence
    assert items["DMARC published with at least p=none"].mark is Mark.PASS
    assert items["TLS on the sending hop"].mark is Mark.PASS
    assert items["One-click unsubscribe (RFC 8058) on marketing mail"].mark is Mark.FAIL
    assert items["Forward-confirmed reverse DNS of the sending IP"].mark is Mark.FAIL
    assert {name for name, _url in items["SPF passes"].links} == {"Gmail", "Yahoo", "Microsoft"}
    assert all(url.startswith("https://") for i in items.values() for _n, url in i.links)


def test_fixes_are_ordered_by_severity_and_name_the_record(app: App) -> None:
    """Warnings only here; each names where to change it."""
    fixes = _section(app, "production").fixes
    wheres = [f.where for f in fixes]
    assert "TXT example.test" in wheres and "TXT s1._domainkey.example.test" in wheres
    assert any("rotate to a 2048-bit RSA key" in f.change for f in fixes)
    assert [f.severity for f in fixes] == sorted(
        (f.severity for f in fixes), key=["critical", "warning", "info"].index
    )


def test_headlines_say_failing_and_why(app: App) -> None:
    """A critical alert firing and DKIM failing the checklist make the environment FAILING."""
    head = _section(app, "production").headline
    assert head.mark is Mark.FAIL and head.word == "FAILING"
    assert "canary DKIM passed 92.9%" in head.text and "1 alert firing" in head.text


def test_an_empty_week_is_a_no_data_report_in_every_format(app: App) -> None:
    """A week before anything was stored renders, saying so, in every format."""
    report = build_weekly(app, "2026-W10")
    assert all(not s.has_data and s.headline.word == "NO DATA" for s in report.sections)
    for fmt in ("html", "email", "md", "text", "json"):
        assert "no data for production (example.test) in 2026-W10" in render_weekly(report, fmt)


def test_bad_weeks_and_unknown_scopes_are_usage_errors(app: App) -> None:
    """A typo is one line and exit 2, not a traceback or an empty report."""
    with pytest.raises(UsageError, match="ISO week"):
        build_weekly(app, "2026-47")
    with pytest.raises(UsageError, match="no such ISO week"):
        build_weekly(app, "2026-W54")
    with pytest.raises(UsageError, match="no environment named 'nope'"):
        build_weekly(app, "2026-W47", env="nope")
    assert parse_week(None, _seed.AFTER) == "2026-W47"


def test_json_document_is_typed_and_versioned(app: App) -> None:
    """The webhook's and --format json's document: its type, version and figures."""
    import json

    doc = json.loads(render_weekly(build_weekly(app, "2026-W47", env="production"), "json"))
    assert (doc["type"], doc["version"], doc["week"]) == (
        "senderwatch.weekly_report",
        2,
        "2026-W47",
    )
    section = doc["sections"][0]
    assert section["canary"]["rates"]["dkim"] == 92.9
    assert section["deltas"][0]["change"] is not None


def test_values_read_as_words_not_python(app: App) -> None:
    """A drift of a boolean reads `true -> false`, never Python's `True`/`None`."""
    report = build_weekly(app, "2026-W47", env="production")
    text = render_weekly(report, "text")
    assert "canary.dkim_aligned: true -> false" in text
    for fmt in ("text", "md", "html", "email"):
        out = render_weekly(report, fmt)
        assert "True" not in out and "None" not in out, fmt
