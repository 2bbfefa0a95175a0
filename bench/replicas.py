"""Replica benchmark: one DNS cycle with 1 and with 2 `senderwatch run` replicas on PostgreSQL.

    .venv/bin/python bench/replicas.py [--domains 10000] [--delay-ms 20] [--batch-size 250]

Generates N domains behind the bench DNS lab (Knot behind dnsdist adding `--delay-ms` to
every answer), starts a throwaway PostgreSQL, then for each arm starts that many real
`senderwatch run` processes with the same config (dns.concurrency the same in both arms)
on a fresh schema, and waits for the cycle's tick to finish. From the database: the cycle's
time (tick claimed → finished, the server's clock); from the replicas' logs: DNS queries;
from /proc: CPU seconds of the replicas and of the PostgreSQL server's processes during the
cycle. Target: 2 replicas at least 1.6x one replica's domains/s, queries per domain
unchanged. On a 2-core machine CPU may be the bottleneck: the CPU columns say so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench._dns_lab import Lab  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

TICKS = 100  # clock ticks per second (/proc/<pid>/stat)


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (0 for one already gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def _postgres_pids(server: PostgresServer) -> list[int]:
    """The server's postmaster and its children (backends, writer, ...), not other servers."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == postmaster:
            pids.append(int(stat.parent.name))
    return pids


def _config(url: str, front: str, domains: list[str], args: argparse.Namespace) -> str:
    lines = [
        "[database]",
        f"url = {json.dumps(url)}",
        "[dns]",
        f"nameservers = [{json.dumps(front)}]",
        "timeout = 5.0",
        "retries = 2",
        f"concurrency = {args.concurrency}",
        "[api]",
        "port = 0",
        "[daemon]",
        f"batch_size = {args.batch_size}",
        'shutdown_timeout = "5s"',
        "[daemon.jobs.dns]",
        'every = "1d"',  # one tick: today's, claimed when the replicas start
        "[daemon.jobs.retention]",
        'cron = "17 3 * * *"',
        "enabled = false",
    ]
    for name in domains:
        lines += ["[[domains]]", f"name = {json.dumps(name)}", 'dkim_selectors = ["s1"]']
    return "\n".join(lines) + "\n"


def _arm(
    server: PostgresServer, front: str, domains: list[str], replicas: int, args: argparse.Namespace
) -> dict[str, float]:
    url = server.create_schema(f"bench_{replicas}_{uuid.uuid4().hex[:8]}")
    work = Path(tempfile.mkdtemp(prefix="senderwatch-replicas-"))
    config = work / "bench.toml"
    config.write_text(_config(url, front, domains, args), encoding="utf-8")
    engine = create_engine(url)
    logs = [work / f"replica{i}.log" for i in range(replicas)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config)],
            cwd=ROOT,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    pg_pids = _postgres_pids(server)
    pids = [p.pid for p in procs]
    try:
        tick = _wait_tick(engine, procs, logs, claimed=True)
        cpu0, pg0 = _cpu_s(pids), _cpu_s(pg_pids)
        tick = _wait_tick(engine, procs, logs, claimed=False)
        pg_pids = _postgres_pids(server)  # backends opened since
        cpu1, pg1 = _cpu_s(pids), _cpu_s(pg_pids)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(60)
    queries = sum(
        int(n) for log in logs for n in re.findall(r"; (\d+) DNS queries", log.read_text())
    )
    with engine.connect() as conn:
        sizes = conn.execute(
            text(
                "SELECT count(*), pg_total_relation_size('results'),"
                " pg_indexes_size('results'), pg_total_relation_size('baselines'),"
                " (SELECT count(*) FROM cycle_batches), (SELECT count(DISTINCT replica)"
                "  FROM cycle_batches) FROM results"
            )
        ).one()
    engine.dispose()
    results, results_bytes, index_bytes, baseline_bytes, batches, workers = sizes
    return {
        "elapsed": tick,
        "queries": float(queries),
        "replica_cpu": cpu1 - cpu0,
        "db_cpu": pg1 - pg0,
        "results": float(results),
        "result_bytes": float(results_bytes),
        "index_bytes": float(index_bytes),
        "baseline_bytes": float(baseline_bytes),
        "batches": float(batches),
        "workers": float(workers),
    }


def _wait_tick(
    engine: object, procs: list[subprocess.Popen[bytes]], logs: list[Path], *, claimed: bool
) -> float:
    """Poll until the dns tick is claimed (→ 0) or finished (→ its claimed→finished s)."""
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise SystemExit(f"a replica exited early:\n{log.read_text()[-3000:]}")
        with engine.connect() as conn:  # type: ignore[attr-defined]
            try:
                row = conn.execute(
                    text("SELECT claimed_at, finished_at FROM job_ticks WHERE job = 'dns'")
                ).first()
            except Exception:
                row = None  # the schema is still being created
        if row is not None and claimed:
            return 0.0
        if row is not None and row[1] is not None:
            return float((row[1] - row[0]).total_seconds())
        time.sleep(0.05 if claimed else 0.2)
    raise SystemExit("the cycle did not finish within an hour")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--delay-ms", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=64, help="dns.concurrency per replica")
    args = parser.parse_args()
    print(
        f"generating {args.domains} domains behind Knot + dnsdist (+{args.delay_ms} ms); "
        f"PostgreSQL {os.cpu_count()} CPUs here ...",
        flush=True,
    )
    with Lab(args.domains, args.delay_ms) as lab, PostgresServer() as server:
        arms = {n: _arm(server, lab.front.address, lab.domains, n, args) for n in (1, 2)}
    n = args.domains
    print(f"\n{'':34}{'1 replica':>14}{'2 replicas':>14}")
    rows = [
        ("cycle s (tick claimed→finished)", lambda a: f"{a['elapsed']:.1f}"),
        ("domains/s", lambda a: f"{n / a['elapsed']:.1f}"),
        ("DNS queries/domain", lambda a: f"{a['queries'] / n:.2f}"),
        ("replicas' CPU s/domain", lambda a: f"{a['replica_cpu'] / n * 1000:.2f} ms"),
        ("replicas' CPU cores busy", lambda a: f"{a['replica_cpu'] / a['elapsed']:.2f}"),
        ("PostgreSQL CPU s/domain", lambda a: f"{a['db_cpu'] / n * 1000:.2f} ms"),
        ("database share of CPU", lambda a: f"{a['db_cpu'] / (a['db_cpu'] + a['replica_cpu']):.0%}"),  # noqa: E501
        ("batches (replicas that took some)", lambda a: f"{a['batches']:.0f} ({a['workers']:.0f})"),
    ]  # fmt: skip
    for name, cell in rows:
        print(f"{name:34}{cell(arms[1]):>14}{cell(arms[2]):>14}")
    one = arms[1]
    ratio = (n / arms[2]["elapsed"]) / (n / one["elapsed"])
    print(f"\nspeed-up with 2 replicas: {ratio:.2f}x   (target >= 1.6x)")
    per_result = one["result_bytes"] / one["results"]
    print(
        f"storage per result (1-replica arm, {one['results']:.0f} results): "
        f"{per_result:.0f} bytes total, of which indexes {one['index_bytes'] / one['results']:.0f}"
        f"; baselines {one['baseline_bytes'] / one['results']:.0f} bytes per result's key"
    )


if __name__ == "__main__":
    main()
