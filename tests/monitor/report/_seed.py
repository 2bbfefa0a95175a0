"""Two weeks of known history, written through the storage layer, and the figures they make.

Week 2026-W46 (the week before) and 2026-W47 (the reported week), UTC:

DNS, domain example.test (no environment): 4 runs a day of spf (WARN ~all), dmarc and dkim
(WARN, a 1024-bit key): 84 results a week. dmarc passes except Wed 18 Nov 12:00 and 18:00 in
W47 (p=none: WARN, drift reject → none). W46: 28 of 84 pass (33.3 %); W47: 26 of 84 (31.0 %).

Canaries, environment production (sends as example.test): 4 a day (01, 07, 13, 19 h).
W46: all pass, 10 s each. W47: the k-th canary of the week (k = 0..27) takes k+1 seconds,
so p50 = 14 s, p95 = 27 s, max = 28 s (nearest rank); k = 5 and 20 fail DKIM (26 of 28:
92.9 %); k = 8..11 carry release v1.2.3.

Relay: one probe on Sun 22 Nov, STARTTLS TLSv1.3, certificate with 20 days left (warns).
Approval: alice approved dmarc on Thu 19 Nov 10:00, "p=none was a test".
Alerts: example.test/dmarc/dmarc.policy_none fired Wed 12:30, resolved Thu 00:30 (12 h);
production/canary/canary.dkim_fail fired Sat 05:00, still firing. A silence over
example.test from Fri 20 Nov 09:00 for 7 days.

DMARC aggregate and TLS reports and production's blocklists results: see `_seed_reports`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from alerts.event import AlertRecord, AlertState, ProblemKey
from checks.canary.roundtrip import CanaryRecord
from checks.result import CheckResult, Finding, Severity, Status
from monitor.config import parse_settings
from monitor.config.settings import Settings
from monitor.engine.check_run import record_results, start_run
from monitor.storage import BaselineDraft, BaselineRepository, Database
from monitor.storage.alerts_store import AlertRepository
from monitor.storage.canary_models import CanaryRepository
from tests.monitor.report import _seed_reports as _reports

W46 = dt.datetime(2026, 11, 9, tzinfo=dt.UTC)
W47 = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)
DOMAIN, ENV = "example.test", "production"
DKIM_FAILS = (5, 20)
RELEASED = range(8, 12)


def settings(
    db_url: str, maildir: Path, smtp_port: int = 2525, *, dns: str | None = None
) -> Settings:
    """The seed's config; `dns` the test Knot's address, which classifying report sources
    asks (the domain's own SPF) — example.test is NXDOMAIN there, so nothing authorises by
    SPF and the configured senders claim by address."""
    return parse_settings(
        {
            "database": {"url": db_url},
            "dns": {"nameservers": [dns] if dns else [], "timeout": 1.0, "retries": 0},
            "domains": ({"name": DOMAIN, "dkim_selectors": ("s1",), "senders": _reports.SENDERS},),
            "environments": {
                ENV: {
                    "domain": DOMAIN,
                    "from": f"canary@{DOMAIN}",
                    "to": "seed@inbox.test",
                    "list_unsubscribe": "https://example.test/u/{token}",
                    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                    "inbox": {
                        "kind": "maildir",
                        "path": str(maildir),
                        "trusted_authserv_ids": ["mx.inbox.test"],
                    },
                }
            },
            "alerts": {
                "channels": (
                    {"name": "hook", "kind": "webhook", "url_env": "HOOK", "secret_env": "SECRET"},
                    {"name": "chat", "kind": "slack", "webhook_url_env": "SLACK"},
                    {
                        "name": "mail",
                        "kind": "email",
                        "host": "127.0.0.1",
                        "port": smtp_port,
                        "security": "none",
                        "from": "senderwatch@example.test",
                        "to": ("team@example.test",),
                    },
                )
            },
        },
        "report-tests",
    )


def _dns(when: dt.datetime, *, weak: bool) -> list[CheckResult]:
    base = {"kind": "dns", "subject": DOMAIN, "environment": None, "started_at": when}
    spf = CheckResult(
        check="spf",
        duration_s=0.1,
        status=Status.WARN,
        observations={
            "spf.present": True,
            "spf.lookups": 3,
            "spf.void_lookups": 0,
            "spf.all": "~all",
        },
        findings=(Finding("spf.all_softfail", Severity.WARNING, "SPF ends with ~all", {}),),
        evidence={"record": "v=spf1 include:_spf.esp.test ~all"},
        **base,
    )
    policy = "none" if weak else "reject"
    dmarc = CheckResult(
        check="dmarc",
        duration_s=0.1,
        status=Status.WARN if weak else Status.PASS,
        observations={
            "dmarc.present": True,
            "dmarc.p": policy,
            "dmarc.pct": 100,
            "dmarc.rua": "mailto:d@example.test",
        },
        findings=(Finding("dmarc.policy_none", Severity.WARNING, "DMARC policy is p=none", {}),)
        if weak
        else (),
        evidence={"record": f"v=DMARC1; p={policy}; rua=mailto:d@example.test"},
        **base,
    )
    dkim = CheckResult(
        check="dkim",
        duration_s=0.1,
        status=Status.WARN,
        observations={
            "dkim.s1.present": True,
            "dkim.s1.key_type": "rsa",
            "dkim.s1.key_bits": 1024,
            "dkim.s1.revoked": False,
        },
        findings=(
            Finding(
                "dkim.key_too_short",
                Severity.WARNING,
                "s1: RSA key of 1024 bits is below 2048",
                {"selector": "s1"},
            ),
        ),
        evidence={},
        **base,
    )
    return [spf, dmarc, dkim]


def _canary(when: dt.datetime, latency: float, *, dkim: bool) -> CheckResult:
    verdict = "pass" if dkim else "fail"
    findings = (
        ()
        if dkim
        else (
            Finding(
                "canary.dkim_fail",
                Severity.CRITICAL,
                "DKIM failed at the receiver",
                {"step": "authentication"},
            ),
        )
    )
    return CheckResult(
        check="canary",
        kind="canary",
        subject=ENV,
        environment=ENV,
        started_at=when,
        duration_s=latency,
        status=Status.PASS if dkim else Status.FAIL,
        observations={
            "canary.spf": "pass",
            "canary.dkim": verdict,
            "canary.dmarc": verdict,
            "canary.spf_aligned": True,
            "canary.dkim_aligned": dkim,
            "canary.tls": True,
            "canary.delivered": True,
        },
        findings=findings,
        evidence={"latency": {"send_to_receiver_s": latency}},
    )


def _store_canary(
    db: Database, k: int, when: dt.datetime, latency: float, *, dkim: bool, release: str | None
) -> None:
    run = start_run(db, trigger="canary", started_at=when, release=release)
    outcome = record_results(db, run, [_canary(when, latency, dkim=dkim)], finished_at=when)
    received = when + dt.timedelta(seconds=latency)
    record = CanaryRecord(
        token=f"tok{when:%Y%m%d%H}{k:02d}",
        environment=ENV,
        message_id=f"<m{k}@example.test>",
        sent_at=when,
        release=release,
        delivered=True,
        received_at=received,
        detected_at=received + dt.timedelta(seconds=1),
    )
    with db.transaction() as session:
        CanaryRepository(session).add(record, run_id=run.id, result_id=outcome.results[0].id)


def _relay(when: dt.datetime) -> CheckResult:
    return CheckResult(
        check="smtp",
        kind="smtp",
        subject=ENV,
        environment=ENV,
        started_at=when,
        duration_s=0.3,
        status=Status.WARN,
        observations={
            "smtp.starttls": True,
            "smtp.tls_version": "TLSv1.3",
            "smtp.cert_valid": True,
        },
        findings=(
            Finding(
                "smtp.cert_expiring",
                Severity.WARNING,
                "The relay's certificate expires in 20 days",
                {"days_left": 20},
            ),
        ),
        evidence={"cert_days_left": 20},
    )


def seed(db: Database) -> None:
    """Write both weeks (see the module docstring and `_seed_reports`)."""
    _reports.seed_reports(db)
    _reports.seed_blocklists(db)
    for week, weak_day in ((W46, None), (W47, 2)):
        for day in range(7):
            for hour in (0, 6, 12, 18):
                when = week + dt.timedelta(days=day, hours=hour)
                weak = day == weak_day and hour >= 12
                run = start_run(db, trigger="daemon", started_at=when)
                record_results(db, run, _dns(when, weak=weak), finished_at=when)
    for day in range(7):
        for slot, hour in enumerate((1, 7, 13, 19)):
            _store_canary(
                db,
                day * 4 + slot,
                W46 + dt.timedelta(days=day, hours=hour),
                10.0,
                dkim=True,
                release=None,
            )
    for day in range(7):
        for slot, hour in enumerate((1, 7, 13, 19)):
            k = day * 4 + slot
            when = W47 + dt.timedelta(days=day, hours=hour)
            release = "v1.2.3" if k in RELEASED else None
            _store_canary(db, k, when, float(k + 1), dkim=k not in DKIM_FAILS, release=release)
    run = start_run(db, trigger="daemon", started_at=W47 + dt.timedelta(days=6, hours=3))
    record_results(
        db,
        run,
        [_relay(W47 + dt.timedelta(days=6, hours=3))],
        finished_at=W47 + dt.timedelta(days=6, hours=3),
    )
    with db.transaction() as session:
        BaselineRepository(session).add(
            BaselineDraft(
                check="dmarc",
                subject=DOMAIN,
                environment=None,
                result_id=None,
                observations={"dmarc.p": "reject"},
                approved_at=W47 + dt.timedelta(days=3, hours=10),
                approved_by="alice",
                reason="p=none was a test",
            )
        )
        alerts = AlertRepository(session)
        alerts.save([_alert(), _firing()])
        alerts.add_silence(
            now=W47 + dt.timedelta(days=4, hours=9),
            duration=dt.timedelta(days=7),
            reason="DNS migration",
            created_by="bob",
            domain=DOMAIN,
        )


def _alert() -> AlertRecord:
    fired = W47 + dt.timedelta(days=2, hours=12, minutes=30)
    return AlertRecord(
        key=ProblemKey(DOMAIN, "dmarc", "dmarc.policy_none"),
        state=AlertState.RESOLVED,
        episode=1,
        sightings=2,
        kind="dns",
        severity=Severity.WARNING,
        summary="DMARC policy of example.test is p=none",
        labels={"domain": DOMAIN},
        first_seen_at=fired,
        last_seen_at=fired,
        fired_at=fired,
        resolved_at=fired + dt.timedelta(hours=12),
    )


def _firing() -> AlertRecord:
    fired = W47 + dt.timedelta(days=5, hours=5)
    return AlertRecord(
        key=ProblemKey(ENV, "canary", "canary.dkim_fail"),
        state=AlertState.FIRING,
        episode=1,
        sightings=2,
        kind="canary",
        severity=Severity.CRITICAL,
        summary="DKIM fails at the receiver for production",
        labels={"environment": ENV},
        first_seen_at=fired,
        last_seen_at=fired,
        fired_at=fired,
    )


def replace(obj: Any, **changes: Any) -> Any:
    return dataclasses.replace(obj, **changes)
