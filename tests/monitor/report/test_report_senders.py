"""The report's "who sends as you" section and blocklists, from the seeded database.

Every figure follows from the docstring of `_seed_reports` (reports stored through
`ReportStore`, blocklists results through `record_results`; sources classified by the DMARC
reports service against the test Knot).
"""

from __future__ import annotations

import dataclasses
import json
import re

from monitor.app import App
from monitor.policy.bulk_senders import reverse_dns
from monitor.policy.weekly_blocklists import EnvBlocklists
from monitor.policy.weekly_model import Mark, Section, SendersWeek
from monitor.services.report import build_weekly, render_weekly
from tests.monitor.report import _seed_reports as seeded

DMARC_ITEM = "DMARC passes for authorised sources"
ALIGN_ITEM = "From aligned with SPF or DKIM"
FCRDNS_ITEM = "Forward-confirmed reverse DNS of the sending IP"


def _section(app: App, week: str, env: str | None) -> Section:
    report = build_weekly(app, week)
    return next(s for s in report.sections if s.environment == env)


def _senders(section: Section) -> SendersWeek:
    assert section.senders is not None
    return section.senders


def test_volume_and_shares_are_the_reported_ones(app: App) -> None:
    """41,640 messages, 96.5 % DMARC pass, SPF aligned 94.9 %, DKIM aligned 96.5 %; authorised
    sources 40,144 of 41,300 (97.2 %); three receivers in three reports."""
    week = _senders(_section(app, "2026-W47", "production"))
    assert (week.domain, week.reports, week.note) == ("example.test", 3, None)
    assert week.reporters == {"google.com": 31_290, "Outlook.com": 8_350, "Yahoo": 2_000}
    a = week.all
    assert (a.messages, a.dmarc_pass, a.spf_aligned, a.dkim_aligned) == (41_640, 96.5, 94.9, 96.5)
    assert (week.authorised.messages, week.authorised.dmarc_pass) == (41_300, 97.2)


def test_sources_are_the_largest_then_the_rest_summed(app: App) -> None:
    """14 sources: the 8 largest one by one, then "6 other sources" (6 forwarders, 30
    messages, all passing by DKIM)."""
    week = _senders(_section(app, "2026-W47", "production"))
    assert week.source_count == 14
    lines = [(s.source, s.status, s.shares.messages, s.shares.dmarc_pass) for s in week.sources]
    assert lines[:4] == [
        ("Office relay", "passing", 40_000, 100.0),
        ("News ESP", "not_aligning", 1_300, 11.1),
        ("isp-sample.test", "failing", 250, 0.0),
        ("203.0.113.9", "failing", 40, 0.0),
    ]
    rest = week.sources[-1]
    assert (len(week.sources), rest.source, rest.others, rest.shares.messages) == (
        9,
        "6 other sources",
        6,
        30,
    )
    office = week.sources[0]
    assert (office.authorised, office.via, office.ips) == (True, "sender", ("192.0.2.25",))
    assert office.shares.spf_aligned == 98.8  # 39,500 of 40,000


def test_new_failing_and_not_aligning_sources(app: App) -> None:
    """Seen in W45: the relay, the ESP and 203.0.113.9 are not new; the DSL spoofer and the
    ten forwarders are. Failing: the two unauthorised sources; not aligning: the ESP."""
    week = _senders(_section(app, "2026-W47", None))
    assert (week.new.count, week.new.messages) == (11, 300)
    assert "Office relay" not in {s.source for s in week.new.sources}
    assert [(s.source, s.new) for s in week.failing.sources] == [
        ("isp-sample.test", True),
        ("203.0.113.9", False),
    ]
    assert (week.failing.count, week.failing.messages) == (2, 290)
    assert [s.source for s in week.not_aligning.sources] == ["News ESP"]
    spoofer = week.failing.sources[0]
    assert (spoofer.ips, spoofer.names) == (("203.0.113.200",), ("host200.dsl.isp-sample.test",))


def test_tls_failures_are_counted_by_type(app: App) -> None:
    """The TLS report: 1,200 sessions succeeded, 42 failed, most frequent type first."""
    tls = _senders(_section(app, "2026-W47", "production")).tls
    assert (tls.successful, tls.failed) == (1_200, 42)
    assert list(tls.by_type.items()) == [
        ("certificate-expired", 30),
        ("starttls-not-supported", 12),
    ]


def test_checklist_judges_dmarc_from_the_reports_with_their_evidence(app: App) -> None:
    """Authorised mail passed DMARC 97.2 % of the time, above the configured 90 %: pass."""
    items = {i.requirement: i for i in _section(app, "2026-W47", "production").checklist}
    item = items[DMARC_ITEM]
    assert item.mark is Mark.PASS
    assert item.evidence == (
        "97.2% of 41,300 messages from authorised sources passed DMARC (reports from 3 receivers)"
    )
    assert {name for name, _url in item.links} == {"Gmail", "Yahoo", "Microsoft"}


def test_a_stricter_pass_share_fails_the_requirement(app: App) -> None:
    """With `authorised_pass_share = 0.99` the same 97.2 % fails, and the headline says so."""
    alerts = app.settings.reports.alerts.model_copy(update={"authorised_pass_share": 0.99})
    reports = app.settings.reports.model_copy(update={"alerts": alerts})
    app.settings = app.settings.model_copy(update={"reports": reports})
    section = _section(app, "2026-W47", None)
    item = next(i for i in section.checklist if i.requirement == DMARC_ITEM)
    assert item.mark is Mark.FAIL
    assert f"bulk-sender: {DMARC_ITEM}" in section.headline.text


def test_without_canaries_alignment_is_judged_from_the_reports(app: App) -> None:
    """The domain's section has no canary: "From aligned" uses the reports' aligned shares
    instead of staying unknown."""
    items = {i.requirement: i for i in _section(app, "2026-W47", None).checklist}
    item = items[ALIGN_ITEM]
    assert item.mark is Mark.PASS
    assert "97.2% of 41,300 messages from authorised sources were aligned" in item.evidence
    assert "SPF 95.6%, DKIM 97.2%" in item.evidence  # 39,500 and 40,144 of 41,300


def test_a_week_without_reports_says_so_in_every_format(app: App) -> None:
    """W46 has DNS results and canaries but no reports: a sentence, never an error; the
    DMARC requirement is unknown, with that sentence as its evidence."""
    report = build_weekly(app, "2026-W46", env="production")
    [section] = report.sections
    week = _senders(section)
    sentence = "no DMARC aggregate reports received for example.test in 2026-W46"
    assert (week.note, week.all.messages, week.sources) == (sentence, 0, ())
    item = next(i for i in section.checklist if i.requirement == DMARC_ITEM)
    assert (item.mark, item.evidence) == (Mark.UNKNOWN, sentence)
    for fmt in ("html", "email", "md", "text", "json"):
        assert sentence in render_weekly(report, fmt), fmt


def test_fixes_name_the_setting_for_each_problem_source(app: App) -> None:
    """New spoofer: a warning at the SPF record with its ip4: mechanism; the known one: info;
    the ESP: DKIM at the ESP with d=example.test; each TLS failure type: its MX change."""
    fixes = _section(app, "2026-W47", "production").fixes
    spoofer = next(f for f in fixes if f.title.startswith("isp-sample.test sent 250 messages"))
    assert (spoofer.severity, spoofer.where) == ("warning", "TXT example.test")
    assert "ip4:203.0.113.200" in spoofer.change and "d=example.test" in spoofer.change
    assert "already refuse it (p=reject)" in spoofer.change
    known = next(f for f in fixes if f.title.startswith("203.0.113.9 sent 40 messages"))
    assert known.severity == "info"
    esp = next(f for f in fixes if f.title.startswith("News ESP is authorised"))
    assert "set up DKIM signing at News ESP with d=example.test" in esp.change
    assert esp.where == "News ESP sending settings; TXT <selector>._domainkey.example.test"
    tls = {f.title: f.change for f in fixes if f.where == "MX hosts of example.test"}
    assert tls == {
        "30 TLS sessions to example.test failed this week: certificate-expired": (
            "renew the MX hosts' TLS certificates"
        ),
        "12 TLS sessions to example.test failed this week: starttls-not-supported": (
            "enable STARTTLS on every MX host"
        ),
    }
    order = ["critical", "warning", "info"]
    assert [f.severity for f in fixes] == sorted((f.severity for f in fixes), key=order.index)


def test_blocklist_listings_new_and_standing_with_their_delisting_pages(app: App) -> None:
    """192.0.2.25 newly on zen (the baseline had it clean): critical, at Spamhaus's page;
    192.0.2.26 on spamcop since the baseline: standing, a warning. The domain's section
    shows its environment's listings too."""
    section = _section(app, "2026-W47", "production")
    assert [(x.target, x.list, x.standing, x.delist_url) for x in section.listings] == [
        ("192.0.2.25", "spamhaus-zen", False, "https://check.spamhaus.org/"),
        ("192.0.2.26", "spamcop", True, "https://www.spamcop.net/bl.shtml"),
    ]
    assert section.listings[0].reason == seeded.ZEN_REASON
    fixes = {f.where: f for f in section.fixes}
    zen = fixes["https://check.spamhaus.org/"]
    assert zen.severity == "critical" and "request delisting at https://check.spamhaus.org/" in (
        zen.change
    )
    assert fixes["https://www.spamcop.net/bl.shtml"].severity == "warning"
    line = next(p for p in section.posture if p.name == "Blocklists")
    assert (line.mark, line.summary) == (Mark.FAIL, "2 listings on 2 lists (1 new)")
    assert any(seeded.ZEN_REASON in w for w in line.warnings)
    domain = _section(app, "2026-W47", None)
    assert [x.environment for x in domain.listings] == ["production", "production"]


def test_reverse_dns_in_the_checklist_is_the_checks_verdict(app: App) -> None:
    """W47: .26 lost its PTR (fail, naming the IP and what failed); W46: both confirm (pass);
    W45, before the check ran: unknown."""

    def item(week: str) -> tuple[Mark, str]:
        found = next(
            i for i in _section(app, week, "production").checklist if i.requirement == FCRDNS_ITEM
        )
        return found.mark, found.evidence

    assert item("2026-W47") == (Mark.FAIL, "192.0.2.26: no PTR record (missing)")
    mark, evidence = item("2026-W46")
    assert mark is Mark.PASS
    assert evidence == (
        "192.0.2.25 → mail.example.test (forward-confirmed); "
        "192.0.2.26 → mail2.example.test (forward-confirmed)"
    )
    mark, evidence = item("2026-W45")
    assert mark is Mark.UNKNOWN and "has not run" in evidence


def test_reverse_dns_names_mismatched_and_generic_names() -> None:
    """Pure: a mismatch fails with the PTR that does not resolve back; a generic name passes
    (fcrdns_verdict pass) but is named; a lookup error is unknown, not a failure."""
    base = seeded.blocklists_result(seeded.W47, zen_listed=False, ptr_26=True)
    details = dict(base.evidence["blocklists"])

    def judged(entries: list[dict[str, object]], verdict: str) -> tuple[Mark, str]:
        evidence = {"blocklists": {**details, "fcrdns": entries, "fcrdns_verdict": verdict}}
        result = dataclasses.replace(base, evidence=evidence)
        return reverse_dns([EnvBlocklists("production", result, None)])

    mismatch = {"ip": "198.51.100.11", "verdict": "mismatch", "ptr": ["other.rep.test"]}
    generic = {
        "ip": "198.51.100.13",
        "verdict": "generic",
        "confirmed_name": "198-51-100-13.dynamic.rep.test",
    }
    mark, text = judged([mismatch, generic], "fail")
    assert mark is Mark.FAIL
    assert "198.51.100.11: PTR other.rep.test does not resolve back to it (mismatch)" in text
    assert "198.51.100.13 → 198-51-100-13.dynamic.rep.test" in text and "(generic)" in text
    assert judged([generic], "pass")[0] is Mark.PASS
    error = {"ip": "192.0.2.25", "verdict": "error", "error": "timeout"}
    assert judged([error], "error") == (
        Mark.UNKNOWN,
        "could not measure: 192.0.2.25: could not be looked up (timeout)",
    )


def test_every_format_carries_the_section(app: App) -> None:
    """HTML with its SVG bars, email with table-cell bars only, Slack Markdown, text, and the
    JSON document (version 2) with the new fields."""
    report = build_weekly(app, "2026-W47", env="production")
    page = render_weekly(report, "html")
    assert "Who sends as example.test" in page and 'class="bar-source"' in page
    assert '<a href="https://check.spamhaus.org/">' in page
    mail = render_weekly(report, "email")
    assert "Who sends as example.test" in mail and 'bgcolor="#cf222e"' in mail
    assert not re.search(r"<svg|<script|data:", mail, re.IGNORECASE)
    md = render_weekly(report, "md")
    assert "• Who sends as example.test: 41,640 messages from 3 receivers" in md
    assert "`192.0.2.25` on spamhaus-zen (*new*) — delist at https://check.spamhaus.org/" in md
    text = render_weekly(report, "text")
    assert "authorised sources 97.2% of 41,300" in text
    doc = json.loads(render_weekly(report, "json"))
    assert doc["version"] == 2
    senders = doc["sections"][0]["senders"]
    assert senders["all"] == {
        "messages": 41_640,
        "dmarc_pass": 96.5,
        "spf_aligned": 94.9,
        "dkim_aligned": 96.5,
    }
    assert senders["failing"]["sources"][0]["source"] == "isp-sample.test"
    assert senders["tls"]["by_type"] == {"certificate-expired": 30, "starttls-not-supported": 12}
    listing = doc["sections"][0]["listings"][0]
    assert (listing["target"], listing["standing"], listing["delist_url"]) == (
        "192.0.2.25",
        False,
        "https://check.spamhaus.org/",
    )
