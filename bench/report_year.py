"""Benchmark: a year of history in SQLite, its size, and the weekly report's render time.

    .venv/bin/python bench/report_year.py [--domains 50] [--environments 5] [--days 365]
                                          [--db PATH] [--skip-seed]

Seeds `--days` days for `--domains` domains and `--environments` environments (each sends as
one of the domains) at the example config's schedule through the storage layer (runs,
results and their baselines and drift through `record_results`, canary rows through
`CanaryRepository`, the daily retention job through `monitor.services.retention`), see
bench/_report_seed.py. The domains' results are real: senderwatch's DNS checks run once
against the benchmark DNS lab (Knot on loopback).

DMARC aggregate reports are seeded too, for as many weeks as the days cover (at least three;
bench/_dmarc_seed.py): retention keeps them as long as results, so a year of them is part of
the size, and the report's "who sends as you" figures are part of the build: their sources
are classified by the reports service, the unclaimed ones by SPF through the lab's DNS (Knot
runs again for the timings).

Printed: the database size (target: under 1 GB for a year), rows per table, then the time
to build the last full week's report (the SQL aggregation) and to render it in each format,
for one environment and for every domain and environment at once (target: under 2 s each).
The peer in the same run is the time to read the same week's raw result rows one by one
without aggregating, which is what a report over unaggregated storage would have to do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report_seed import (
    Shapes,
    Year,
    canary_record,
    canary_result,
    capture,
    relay_result,
    weakened,
)

START = dt.datetime(2025, 11, 24, tzinfo=dt.UTC)  # a Monday


def _settings(db_url: str, year: Year, dns: str | None = None) -> object:
    from bench._dmarc_seed import senders_of
    from monitor.config import parse_settings

    envs = {
        name: {
            "domain": domain,
            "from": f"canary@{domain}",
            "to": "seed@inbox.bench.test",
            "smtp": {"host": f"smtp.{name}.bench.test", "port": 587},
            "inbox": {
                "kind": "maildir",
                "path": "/nonexistent/maildir",
                "trusted_authserv_ids": ["mx.inbox.bench.test"],
            },
        }
        for name, domain in year.environments.items()
    }
    return parse_settings(
        {
            "database": {"url": db_url},
            "dns": {"nameservers": [dns] if dns else [], "timeout": 1.0, "retries": 0},
            "domains": tuple(
                {"name": d, "dkim_selectors": ("s1",), "senders": senders_of(i)}
                for i, d in enumerate(year.domains)
            ),
            "environments": envs,
        },
        "bench",
    )


def seed(db_url: str, shapes: Shapes, year: Year, days: int, path: Path) -> list[int]:
    """Write `days` days of history; returns the bytes in use at the end of each day."""
    from monitor.engine.check_run import record_results, start_run
    from monitor.storage import open_database
    from monitor.storage.canary_models import CanaryRepository

    db = open_database(db_url, on_create=None)
    began = time.perf_counter()
    counter = 0
    used: list[int] = []
    retention: list[float] = []
    try:
        for day in range(days):
            start = START + dt.timedelta(days=day)
            for when in year.quarters(start):
                results = []
                for i, domain in enumerate(year.domains):
                    run = shapes.at(domain, when, None)
                    results += weakened(run) if year.weak_day(day, i) else run
                run_row = start_run(db, trigger="daemon", started_at=when)
                record_results(db, run_row, results, finished_at=when + dt.timedelta(seconds=20))
            for when in year.hours(start):
                for env, domain in year.environments.items():
                    relay = [*shapes.at(domain, when, env), relay_result(env, when, 90 - day % 60)]
                    run_row = start_run(db, trigger="daemon", started_at=when)
                    record_results(db, run_row, relay, finished_at=when + dt.timedelta(seconds=5))
                    counter += 1
                    token = f"t{counter:09d}"
                    latency = year.latency()
                    sent = when + dt.timedelta(minutes=30)
                    result = canary_result(
                        env, domain, sent, token, latency=latency, dkim=year.dkim_ok()
                    )
                    run_row = start_run(db, trigger="canary", started_at=sent)
                    outcome = record_results(
                        db, run_row, [result], finished_at=sent + dt.timedelta(seconds=latency)
                    )
                    with db.transaction() as session:
                        CanaryRepository(session).add(
                            canary_record(env, token, sent, latency),
                            run_id=run_row.id,
                            result_id=outcome.results[0].id,
                        )
            t0 = time.perf_counter()
            _daily_retention(db, start + dt.timedelta(days=1))
            retention.append(time.perf_counter() - t0)
            used.append(_used_bytes(path))
            if day % 7 == 6:
                print(f"  seeded {day + 1} days ({time.perf_counter() - began:.0f} s)", flush=True)
    finally:
        db.dispose()
    print(f"seeded in {time.perf_counter() - began:.0f} s")
    if retention:
        print(
            f"daily retention job: {retention[-1]:.2f} s on the last day, "
            f"{max(retention):.2f} s at most, {sum(retention) / len(retention):.2f} s on average"
        )
    return used


def _daily_retention(db: object, now: dt.datetime) -> None:
    """What the daemon's retention job does once a day (monitor.services.retention.purge)."""
    from monitor.storage import retention

    cutoff = now - dt.timedelta(days=365)
    retention.delete_results_before(db, cutoff)  # type: ignore[arg-type]
    retention.delete_days_before(db, cutoff)  # type: ignore[arg-type]
    retention.thin_repeated_results(db, now - retention.RAW_KEEP)  # type: ignore[arg-type]


def _used_bytes(path: Path) -> int:
    """Pages in use (the file less its free list, which new rows reuse first)."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def _projection(used: list[int]) -> None:
    """Bytes in use per day once thinning is steady (the last 7 days), and a year at that
    rate: what the figure would be when fewer than 365 days were seeded."""
    if len(used) < 14:
        return
    per_day = (used[-1] - used[-8]) / 7
    year = used[-1] + per_day * (365 - len(used))
    print(
        f"in use after {len(used)} days: {used[-1] / 1e6:.1f} MB; growth over the last 7 "
        f"days {per_day / 1e6:.2f} MB/day; a year at that rate: {year / 1e6:.0f} MB"
        + (" (measured)" if len(used) >= 365 else " (projected)")
    )


def _tables(path: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--environments", type=int, default=5)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temp dir)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse --db as it is")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="senderwatch-report-bench-"))
    path = args.db or tmp / "year.db"
    url = f"sqlite:///{path}"
    from bench._dns_lab import write_zones
    from tests.support.dns_server import KnotServer

    domains = write_zones(tmp / "zones", args.domains)
    names = ("production", "staging", "qa", "eu", "us", "apac", "dev", "canary", "beta")
    envs = {
        (names[i] if i < len(names) else f"env{i}"): domains[i % len(domains)]
        for i in range(args.environments)
    }
    year = Year(domains, envs)
    if not args.skip_seed:
        (tmp / "knot").mkdir()
        knot = KnotServer(tmp / "zones", workdir=tmp / "knot").start()
        try:
            shapes = capture(domains, knot.address, f"sqlite:///{tmp}/capture.db")
        finally:
            knot.stop()
        print(
            f"seeding {args.days} days: {args.domains} domains, {args.environments} "
            f"environments (DNS every 15 min, relay and canary hourly per environment)"
        )
        used = seed(url, shapes, year, args.days, path)
        _projection(used)
        from bench._dmarc_seed import seed_reports

        t0 = time.perf_counter()
        weeks = max(3, args.days // 7)  # the reports retention keeps as long as results
        records = seed_reports(url, domains, START + dt.timedelta(days=args.days), weeks)
        print(
            f"seeded {records:,} DMARC report records ({weeks} weeks) in "
            f"{time.perf_counter() - t0:.0f} s"
        )
    size = path.stat().st_size
    print(f"database file: {size / 1e6:.1f} MB ({size / 1e9:.3f} GB) after {args.days} days")
    for table, rows in sorted(_tables(path).items()):
        print(f"  {table:<22} {rows:>10,} rows")
    (tmp / "knot-report").mkdir()
    knot = KnotServer(tmp / "zones", workdir=tmp / "knot-report").start()
    try:
        report_timings(url, year, START + dt.timedelta(days=args.days), knot.address)
    finally:
        knot.stop()


def report_timings(url: str, year: Year, end: dt.datetime, dns: str | None = None) -> None:
    """Build and render the last full ISO week's report; print seconds per step."""
    try:
        from monitor.services.report import build_weekly, render_weekly
    except ImportError:
        return
    from monitor.app import App

    settings = _settings(url, year, dns)
    app = App(settings, clock=lambda: end)  # type: ignore[arg-type]
    week = (end - dt.timedelta(days=7)).isocalendar()
    label = f"{week.year}-W{week.week:02d}"
    first_env = next(iter(year.environments))
    from monitor.services.dmarc_reports import weekly_figures
    from monitor.services.report import week_bounds

    t0 = time.perf_counter()
    figures = weekly_figures(app, week_bounds(label)[0])
    print(
        f"who sends as you, alone: weekly_figures of {len(figures.domains)} domains "
        f"({sum(len(d.sources) for d in figures.domains):,} sources, "
        f"{sum(d.messages for d in figures.domains):,} messages) {time.perf_counter() - t0:.3f} s"
    )
    for scope, kwargs in (("one environment", {"env": first_env}), ("everything", {})):
        t0 = time.perf_counter()
        report = build_weekly(app, label, **kwargs)  # type: ignore[arg-type]
        built = time.perf_counter() - t0
        print(f"report {label}, {scope} ({len(report.sections)} sections): build {built:.3f} s")
        for fmt in ("html", "email", "md", "text", "json"):
            t0 = time.perf_counter()
            out = render_weekly(report, fmt)
            took = time.perf_counter() - t0
            print(
                f"  {fmt:<6} render {took:.3f} s, build+render {built + took:.3f} s, "
                f"{len(out) / 1024:.0f} KiB"
            )
    raw_peer(url, end)
    app.close()


def raw_peer(url: str, end: dt.datetime) -> None:
    """The peer: fetch one week of raw result rows (what unaggregated storage must read)."""
    from sqlalchemy import select

    from monitor.storage import open_database
    from monitor.storage.models import ResultRow

    db = open_database(url, on_create=None)
    t0 = time.perf_counter()
    with db.transaction() as session:
        rows = session.execute(
            select(ResultRow.status, ResultRow.observations).where(
                ResultRow.started_at >= end - dt.timedelta(days=7)
            )
        ).all()
    took = time.perf_counter() - t0
    print(f"peer: reading the week's {len(rows):,} raw result rows takes {took:.3f} s")
    db.dispose()


if __name__ == "__main__":
    main()
