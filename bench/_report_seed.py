"""A year of senderwatch history, written through the storage layer (bench/report_year.py).

The shapes are real: each domain's six DNS results come from senderwatch's own checks run
once against the benchmark DNS lab (bench/_dns_lab.py: Knot on loopback), then repeated at
the example config's schedule with new times, as the daemon would store them:

    dns      every 15 min     every domain's DNS checks, one run      (environment: none)
    relay    every hour       per environment: its domain's DNS checks and the relay probe
    canary   every hour       per environment: one canary (canary row + result)
    retention  daily          monitor.services.retention (delete old, thin repeats)

Over the year a few things change, so drift, approvals, failures and alerts exist: every
~40 days one domain publishes `p=none` for a day; 2 % of canaries arrive late and 1 % fail
DKIM; the relay certificate's days-left count down (relay evidence changes daily).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator, Sequence
from typing import Any

from checks.canary.roundtrip import CanaryRecord
from checks.result import CheckResult, Finding, Severity, Status

__all__ = ["Shapes", "Year", "canary_result", "relay_result"]

QUARTER = dt.timedelta(minutes=15)
HOUR = dt.timedelta(hours=1)


@dataclasses.dataclass
class Shapes:
    """One real DNS run per domain (six results each), captured from the lab."""

    dns: dict[str, list[CheckResult]]

    def at(self, domain: str, when: dt.datetime, environment: str | None) -> list[CheckResult]:
        return [
            dataclasses.replace(r, started_at=when, environment=environment)
            for r in self.dns[domain]
        ]


def capture(domains: Sequence[str], nameserver: str, db_url: str) -> Shapes:
    """Run senderwatch's DNS checks once over `domains` and keep their results."""
    from monitor.config import parse_settings
    from monitor.engine.check_run import run_checks
    from monitor.engine.runner import make_resolver

    settings = parse_settings(
        {
            "database": {"url": db_url},
            "dns": {"nameservers": (nameserver,), "timeout": 5.0},
            "domains": tuple({"name": d, "dkim_selectors": ("s1",)} for d in domains),
        },
        "bench",
    )
    outcome = run_checks(settings, trigger="bench", resolver=make_resolver(settings.dns))
    shapes: dict[str, list[CheckResult]] = {d: [] for d in domains}
    for stored in outcome.results:
        shapes[stored.result.subject].append(stored.result)
    return Shapes(shapes)


def weakened(results: list[CheckResult]) -> list[CheckResult]:
    """The same run with DMARC at p=none (a day of drift)."""
    out = []
    for r in results:
        if r.check == "dmarc":
            obs = {**r.observations, "dmarc.p": "none"}
            finding = Finding("dmarc.policy_none", Severity.WARNING, "DMARC policy is p=none", {})
            out.append(
                dataclasses.replace(r, observations=obs, findings=(finding,), status=Status.WARN)
            )
        else:
            out.append(r)
    return out


def relay_result(environment: str, when: dt.datetime, days_left: int) -> CheckResult:
    """The relay probe's result, shaped as checks/smtp/check.py writes it."""
    host = f"smtp.{environment}.bench.test"
    return CheckResult(
        check="smtp",
        kind="smtp",
        subject=environment,
        environment=environment,
        started_at=when,
        duration_s=0.4,
        status=Status.PASS,
        observations={
            "smtp.capabilities": "8BITMIME,AUTH,ENHANCEDSTATUSCODES,PIPELINING,SIZE,STARTTLS",
            "smtp.starttls": True,
            "smtp.auth_mechanisms": "LOGIN,PLAIN",
            "smtp.tls_version": "TLSv1.3",
            "smtp.cert_valid": True,
            "smtp.cert_subject": f"CN={host}",
            "smtp.cert_issuer": "CN=Bench CA",
        },
        findings=(),
        evidence={
            "banner": f"220 {host} ESMTP Postfix",
            "ehlo": {"8bitmime": "", "auth": "PLAIN LOGIN", "pipelining": "", "size": "10240000"},
            "transcript": [f"S: 220 {host} ESMTP", "C: EHLO bench", "S: 250-PIPELINING"] * 4,
            "cert_days_left": days_left,
            "cert_not_after": (when + dt.timedelta(days=days_left)).isoformat(),
        },
    )


def canary_result(
    environment: str, domain: str, when: dt.datetime, token: str, *, latency: float, dkim: bool
) -> CheckResult:
    """One canary's result, shaped as checks/canary/roundtrip.py writes it."""
    findings: tuple[Finding, ...] = ()
    if not dkim:
        findings = (
            Finding(
                "canary.dkim_fail",
                Severity.CRITICAL,
                "DKIM failed at the receiver: body hash did not verify",
                {"step": "authentication"},
            ),
        )
    if latency > 120:
        findings += (
            Finding(
                "canary.slow",
                Severity.WARNING,
                f"delivery took {latency:.1f}s, above the 120s threshold",
                {"latency_s": latency, "threshold_s": 120.0},
            ),
        )
    result = "pass" if dkim else "fail"
    ar = (
        f"mx.inbox.bench.test; spf=pass smtp.mailfrom={domain}; dkim={result} "
        f"header.d={domain} header.s=s1; dmarc={result} header.from={domain}"
    )
    evidence: dict[str, Any] = {
        "canary": {
            "token": token,
            "message_id": f"<{token}@{domain}>",
            "from": f"canary@{domain}",
            "to": "seed@inbox.bench.test",
            "subject": f"senderwatch canary {token}",
            "release": None,
            "sent_at": when.isoformat(),
            "relay_reply": "250 2.0.0 Ok: queued as 4XyZ",
        },
        "transport_log": ["220 relay ESMTP", "EHLO", "250-STARTTLS", "STARTTLS", "220 go"] * 3,
        "authentication_results": [ar],
        "alignment": {"adkim": "r", "aspf": "r", "source": "_dmarc." + domain},
        "latency": {"send_to_receiver_s": latency, "send_to_detection_s": latency + 0.4},
    }
    if not dkim:
        evidence["headers"] = "\n".join(f"X-Trace-{i}: " + "x" * 60 for i in range(40))
    return CheckResult(
        check="canary",
        kind="canary",
        subject=environment,
        environment=environment,
        started_at=when,
        duration_s=latency + 1.0,
        status=Status.FAIL if not dkim else (Status.WARN if latency > 120 else Status.PASS),
        observations={
            "canary.spf": "pass",
            "canary.dkim": result,
            "canary.dmarc": result,
            "canary.dkim_aligned": dkim,
            "canary.spf_aligned": True,
            "canary.dkim_selector": "s1" if dkim else "",
            "canary.dkim_domain": domain,
            "canary.arc": "none",
            "canary.tls": True,
            "canary.delivered": True,
        },
        findings=findings,
        evidence=evidence,
    )


def canary_record(environment: str, token: str, when: dt.datetime, latency: float) -> CanaryRecord:
    received = when + dt.timedelta(seconds=latency)
    return CanaryRecord(
        token=token,
        environment=environment,
        message_id=f"<{token}@bench>",
        sent_at=when,
        release=None,
        delivered=True,
        received_at=received,
        detected_at=received + dt.timedelta(seconds=0.4),
    )


@dataclasses.dataclass
class Year:
    """Which runs happen on one day, and what they carry."""

    domains: list[str]
    environments: dict[str, str]  # environment -> its domain
    seed: int = 7

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def weak_day(self, day: int, domain_index: int) -> bool:
        """One domain in 40 has a day of p=none, spread over the year."""
        return (day + domain_index * 7) % 40 == 0

    def quarters(self, start: dt.datetime) -> Iterator[dt.datetime]:
        for i in range(96):
            yield start + i * QUARTER

    def hours(self, start: dt.datetime) -> Iterator[dt.datetime]:
        for i in range(24):
            yield start + i * HOUR + dt.timedelta(minutes=5)

    def latency(self) -> float:
        late = self.rng.random() < 0.02
        return round(self.rng.uniform(150, 400) if late else self.rng.lognormvariate(1.5, 0.5), 3)

    def dkim_ok(self) -> bool:
        return self.rng.random() >= 0.01
