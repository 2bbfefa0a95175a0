"""DMARC aggregate, TLS-RPT and blocklists history for the report tests, written through the
storage layer (`ReportStore`, `record_results`): the figures below are what the report must say.

Week 2026-W47, domain example.test, three receivers (google.com, Outlook.com, Yahoo):

    source           ips                     messages  DMARC  SPF al.  DKIM al.  status
    Office relay     192.0.2.25              40,000    40,000 39,500   40,000    passing
    News ESP         198.51.100.70           1,300     144    0        144       not aligning
    isp-sample.test  203.0.113.200 (DSL)     250       0      0        0         failing, new
    203.0.113.9      (no PTR)                40        0      0        0         failing, known
    10 forwarders    203.0.113.100..109      10 x 5    50     0        50        passing, new

    all: 41,640 messages, 96.5 % DMARC pass, SPF aligned 94.9 %, DKIM aligned 96.5 %
    authorised (Office relay, News ESP): 40,144 of 41,300 = 97.2 %
    TLS-RPT: 1,200 sessions succeeded, 42 failed (certificate-expired 30,
    starttls-not-supported 12)

W45 (the week before the seeded DNS history) had the Office relay, News ESP and 203.0.113.9,
so those are not new in W47; W46 has no reports at all ("no DMARC aggregate reports received
for example.test in 2026-W46").

Blocklists of production: W46 (Tue 10 Nov) 192.0.2.26 on spamcop, both IPs forward-confirmed
(the first result: the baseline). W47 (Sun 22 Nov) 192.0.2.25 newly on spamhaus-zen, .26 still
on spamcop (standing), .26 lost its PTR (fcrdns_verdict fail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from checks.reports.model import AggregateRecord, AggregateReport, TlsFailure, TlsPolicy, TlsReport
from checks.result import CheckResult, Finding, Severity, Status
from monitor.engine.check_run import record_results, start_run
from monitor.storage import Database
from monitor.storage.dmarc_reports import InputOutcome, ReportStore

DOMAIN, ENV = "example.test", "production"
W45 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
W46 = dt.datetime(2026, 11, 9, tzinfo=dt.UTC)
W47 = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
SENDERS = (
    {"name": "Office relay", "ip_ranges": ("192.0.2.0/24",)},
    {"name": "News ESP", "ip_ranges": ("198.51.100.64/27",)},
)
NAMES = {
    "192.0.2.25": "mail.example.test",
    "198.51.100.70": "o1.mail.news-esp.test",
    "203.0.113.200": "host200.dsl.isp-sample.test",
}
FORWARDERS = tuple(f"203.0.113.{n}" for n in range(100, 110))
ZEN_REASON = "https://check.spamhaus.org/sbl/query/SBL000001"


def _rec(ip: str, count: int, *, spf: bool, dkim: bool) -> AggregateRecord:
    return AggregateRecord(
        source_ip=ip,
        count=count,
        disposition="none",
        dkim_aligned=dkim,
        spf_aligned=spf,
        header_from=DOMAIN,
        envelope_from=DOMAIN if spf else "bounce.other.test",
        envelope_to=None,
        auth=(),
    )


def _report(org: str, rid: str, begin: dt.datetime, *records: AggregateRecord) -> AggregateReport:
    return AggregateReport(
        org_name=org,
        report_id=rid,
        domain=DOMAIN,
        begin=begin,
        end=begin + dt.timedelta(days=1) - dt.timedelta(seconds=1),
        email=f"noreply@{org.lower()}",
        policy={"p": "reject", "pct": "100"},
        schema="rfc7489",
        records=records,
    )


def _week47() -> list[AggregateReport]:
    day = dt.timedelta(days=1)
    return [
        _report(
            "google.com",
            "g47",
            W47 + day,
            _rec("192.0.2.25", 29_500, spf=True, dkim=True),
            _rec("192.0.2.25", 500, spf=False, dkim=True),
            _rec("198.51.100.70", 856, spf=False, dkim=False),
            _rec("198.51.100.70", 144, spf=False, dkim=True),
            _rec("203.0.113.200", 250, spf=False, dkim=False),
            _rec("203.0.113.9", 40, spf=False, dkim=False),
        ),
        _report(
            "Outlook.com",
            "o47",
            W47 + 2 * day,
            _rec("192.0.2.25", 8_000, spf=True, dkim=True),
            _rec("198.51.100.70", 300, spf=False, dkim=False),
            *(_rec(ip, 5, spf=False, dkim=True) for ip in FORWARDERS),
        ),
        _report("Yahoo", "y47", W47 + 3 * day, _rec("192.0.2.25", 2_000, spf=True, dkim=True)),
    ]


def _week45() -> list[AggregateReport]:
    return [
        _report(
            "google.com",
            "g45",
            W45 + dt.timedelta(days=1),
            _rec("192.0.2.25", 20_000, spf=True, dkim=True),
            _rec("198.51.100.70", 500, spf=False, dkim=False),
            _rec("203.0.113.9", 10, spf=False, dkim=False),
        )
    ]


def _tls() -> TlsReport:
    return TlsReport(
        org_name="google.com",
        report_id="t47",
        begin=W47 + dt.timedelta(days=1),
        end=W47 + dt.timedelta(days=2) - dt.timedelta(seconds=1),
        contact=None,
        policies=(
            TlsPolicy(
                domain=DOMAIN,
                policy_type="sts",
                successful=1_200,
                failed=42,
                failures=(
                    TlsFailure("certificate-expired", 30),
                    TlsFailure("starttls-not-supported", 12),
                ),
            ),
        ),
    )


def seed_reports(db: Database) -> None:
    """The aggregate and TLS reports of both weeks, one input each, through ReportStore."""
    items: list[AggregateReport | TlsReport] = [*_week45(), *_week47(), _tls()]
    with db.transaction() as session:
        store = ReportStore(session)
        for n, report in enumerate(items):
            origin = f"seed:{n}"
            received = report.end + dt.timedelta(hours=2)
            sha = hashlib.sha256(origin.encode()).hexdigest()
            input_id = store.add_input(
                InputOutcome(origin, sha, 1000, "stored", reports=1),
                received_at=received,
                parser="seed",
            )
            if isinstance(report, TlsReport):
                store.add_tls(report, input_id=input_id, now=received)
            else:
                store.add_aggregate(report, NAMES, input_id=input_id, now=received)


def _lookup(list_name: str, zone: str, target: str, listed: bool, **extra: Any) -> dict[str, Any]:
    return {
        "list": list_name,
        "zone": zone,
        "kind": "ip",
        "target": target,
        "query": f"{'.'.join(reversed(target.split('.')))}.{zone}",
        "status": "listed" if listed else "clean",
        "codes": ["127.0.0.2"] if listed else [],
        "meanings": extra.get("meanings", []),
        "reason": extra.get("reason", ""),
        "delist_url": extra.get("delist_url", ""),
        "cached": False,
        "cause": "",
    }


def _fcrdns(ip: str, name: str | None) -> dict[str, Any]:
    if name is None:
        return {
            "ip": ip,
            "verdict": "missing",
            "ptr": [],
            "confirmed_name": None,
            "forward": {},
            "error": "",
        }
    return {
        "ip": ip,
        "verdict": "pass",
        "ptr": [name],
        "confirmed_name": name,
        "forward": {name: [ip]},
        "error": "",
    }


def blocklists_result(when: dt.datetime, *, zen_listed: bool, ptr_26: bool) -> CheckResult:
    """A `blocklists` result of production in the stored shape (docs/blocklists.md)."""
    zen = _lookup(
        "spamhaus-zen",
        "zen.spamhaus.org",
        "192.0.2.25",
        zen_listed,
        meanings=["SBL: Spamhaus Block List (spam source or operation)"] if zen_listed else [],
        reason=ZEN_REASON if zen_listed else "",
        delist_url="https://check.spamhaus.org/",
    )
    spamcop = _lookup(
        "spamcop",
        "bl.spamcop.net",
        "192.0.2.26",
        True,
        meanings=["listed by SpamCop"],
        reason="Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.26",
        delist_url="https://www.spamcop.net/bl.shtml",
    )
    results = [zen, spamcop]
    fcrdns = [
        _fcrdns("192.0.2.25", "mail.example.test"),
        _fcrdns("192.0.2.26", "mail2.example.test" if ptr_26 else None),
    ]
    findings = [
        Finding("blocklists.listed", Severity.WARNING, f"{r['target']} is listed on {r['list']}", r)
        for r in results
        if r["status"] == "listed"
    ]
    if not ptr_26:
        findings.append(
            Finding("fcrdns.missing", Severity.CRITICAL, "192.0.2.26 has no PTR record", fcrdns[1])
        )
    evidence = {
        "schema": 1,
        "targets": [
            {
                "target": ip,
                "kind": "ip",
                "sources": ["sending_ips"],
                "explicit": True,
                "queried": True,
                "skipped": None,
            }
            for ip in ("192.0.2.25", "192.0.2.26")
        ],
        "skipped_ranges": [],
        "lists": [
            {
                "name": "spamhaus-zen",
                "zone": "zen.spamhaus.org",
                "kind": "ip",
                "delist_url": "https://check.spamhaus.org/",
                "asked": 1,
                "listed": int(zen_listed),
                "status": "ok",
            },
            {
                "name": "spamcop",
                "zone": "bl.spamcop.net",
                "kind": "ip",
                "delist_url": "https://www.spamcop.net/bl.shtml",
                "asked": 1,
                "listed": 1,
                "status": "ok",
            },
        ],
        "results": results,
        "listings": [r for r in results if r["status"] == "listed"],
        "fcrdns": fcrdns,
        "fcrdns_verdict": "pass" if ptr_26 else "fail",
    }
    return CheckResult(
        check="blocklists",
        kind="reputation",
        subject=ENV,
        environment=ENV,
        started_at=when,
        duration_s=0.2,
        status=Status.FAIL if not ptr_26 else Status.WARN,
        observations={
            "blocklists.spamhaus-zen.192.0.2.25": "listed" if zen_listed else "clean",
            "blocklists.spamcop.192.0.2.26": "listed",
            "fcrdns.192.0.2.25": "pass",
            "fcrdns.192.0.2.26": "pass" if ptr_26 else "missing",
        },
        findings=tuple(findings),
        evidence={"blocklists": evidence},
    )


def seed_blocklists(db: Database) -> None:
    """Production's blocklists results of W46 (the baseline) and W47 (see the docstring)."""
    for when, zen, ptr in (
        (W46 + dt.timedelta(days=1, hours=4), False, True),
        (W47 + dt.timedelta(days=6, hours=4), True, False),
    ):
        run = start_run(db, trigger="daemon", started_at=when)
        record_results(
            db, run, [blocklists_result(when, zen_listed=zen, ptr_26=ptr)], finished_at=when
        )
