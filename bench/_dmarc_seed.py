"""DMARC aggregate reports for the report benchmark (bench/report_year.py), through
`ReportStore` as the ingest stores them.

Per domain and day, four receivers send one report each with 13 records: the
domain's relay (its SPF's own address, claimed by a configured sender), two addresses of its
ESP (claimed by range; a fifth of their mail not aligned), two forwarders (DKIM passes) and
eight spoofers (fail, drawn from 198.18.0.0/15, so most are new each week and their SPF is
evaluated through the lab's DNS when the report classifies them). `weeks` weeks are written
so that "new" is judged against real history: 364 records per domain and week, 18,200 a
week at 50 domains.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Sequence

from checks.reports.model import AggregateRecord, AggregateReport
from monitor.storage import open_database
from monitor.storage.dmarc_reports import InputOutcome, ReportStore

__all__ = ["RECEIVERS", "seed_reports", "senders_of"]

RECEIVERS = ("google.com", "Outlook.com", "Yahoo", "comcast.net")


def senders_of(index: int) -> tuple[dict[str, object], ...]:
    """The configured senders of the index-th domain: its relay and its ESP, by address."""
    return (
        {"name": "Relay", "ip_ranges": (f"192.0.2.{index % 250}/32",)},
        {"name": f"ESP {index % 6}", "ip_ranges": (f"198.51.{index % 6}.0/24",)},
    )


def _record(ip: str, count: int, *, spf: bool, dkim: bool, domain: str) -> AggregateRecord:
    return AggregateRecord(
        source_ip=ip,
        count=count,
        disposition="none" if spf or dkim else "reject",
        dkim_aligned=dkim,
        spf_aligned=spf,
        header_from=domain,
        envelope_from=domain,
        envelope_to=None,
        auth=(),
    )


def _report(
    rng: random.Random, domain: str, index: int, org: str, begin: dt.datetime
) -> AggregateReport:
    esp = f"198.51.{index % 6}"
    records = [
        _record(
            f"192.0.2.{index % 250}", rng.randint(300, 1500), spf=True, dkim=True, domain=domain
        ),
        *(
            _record(
                f"{esp}.{rng.randint(1, 254)}",
                rng.randint(50, 400),
                spf=False,
                dkim=ok,
                domain=domain,
            )
            for ok in (True, rng.random() > 0.2)
        ),
        *(
            _record(
                f"203.0.113.{rng.randint(1, 254)}",
                rng.randint(1, 5),
                spf=False,
                dkim=True,
                domain=domain,
            )
            for _ in range(2)
        ),
        *(
            _record(
                f"198.{18 + rng.randint(0, 1)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                rng.randint(1, 60),
                spf=False,
                dkim=False,
                domain=domain,
            )
            for _ in range(8)
        ),
    ]
    return AggregateReport(
        org_name=org,
        report_id=f"{org}-{domain}-{begin:%Y%m%d}",
        domain=domain,
        begin=begin,
        end=begin + dt.timedelta(days=1, seconds=-1),
        email=f"noreply@{org.lower()}",
        policy={"p": "reject", "pct": "100"},
        schema="rfc7489",
        records=tuple(records),
    )


def seed_reports(url: str, domains: Sequence[str], end: dt.datetime, weeks: int = 3) -> int:
    """Write `weeks` weeks of reports ending at `end` (a Monday); returns records written."""
    rng = random.Random(11)
    db = open_database(url, on_create=None)
    written = 0
    try:
        for day in range(weeks * 7):
            begin = end - dt.timedelta(days=weeks * 7 - day)
            with db.transaction() as session:
                store = ReportStore(session)
                for index, domain in enumerate(domains):
                    for org in RECEIVERS:
                        report = _report(rng, domain, index, org, begin)
                        origin = f"bench:{report.report_id}"
                        input_id = store.add_input(
                            InputOutcome(
                                origin,
                                hashlib.sha256(origin.encode()).hexdigest(),
                                2000,
                                "stored",
                                reports=1,
                            ),
                            received_at=report.end,
                            parser="bench",
                        )
                        store.add_aggregate(report, {}, input_id=input_id, now=report.end)
                        written += len(report.records)
    finally:
        db.dispose()
    return written
