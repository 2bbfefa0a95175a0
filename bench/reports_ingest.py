"""Benchmark: our DMARC report ingest beside `parsedmarc --offline` on the same files, one run.

    .venv/bin/python bench/reports_ingest.py [--files 1000] [--records 200]

Writes `--files` gzipped aggregate reports (RFC 7489 shape; `--records` records each, so
200,000 in all by default; sources drawn from 1,500 addresses in 198.51.100.0/24 and
2001:db8:0:10::/64, whose reverse zones the test Knot serves) into a temporary directory,
starts Knot on loopback over tests/zones, then runs, each in its own process so peak memory
is its own:

1. ours: `senderwatch reports ingest --dir D --no-alerts` (expand, parse with parsedmarc
   offline, reverse DNS through our resolver and its cache, store in SQLite);
2. the peer: `parsedmarc --offline -o OUT D` (parse, write aggregate.json; no DNS, no store);
3. ours again over a tenth of the files, into a fresh database: peak memory must not grow
   with the number of files (it is bounded by the largest report).

Prints per run: wall seconds, records per second, peak RSS (MB), and our rate as a multiple
of parsedmarc's (target: at least 0.8x).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.dns_server import KnotServer  # noqa: E402

# Sources repeat across reports, as in real aggregate data: 254 IPv4 addresses and 1,246
# IPv6 ones, 1,500 in all (each asked once; the rest come from the cache).
POOL = [f"198.51.100.{i}" for i in range(1, 255)] + [
    f"2001:db8:0:10::{i:x}" for i in range(1, 1247)
]

RECORD = (
    "<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
    "<disposition>{disp}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>"
    "</row><identifiers><envelope_from>{env}</envelope_from><header_from>reports-lab.test"
    "</header_from></identifiers><auth_results><dkim><domain>{dkim_domain}</domain>"
    "<selector>s1</selector><result>{dkim}</result></dkim><spf><domain>{env}</domain>"
    "<scope>mfrom</scope><result>{spf}</result></spf></auth_results></record>"
)


def _report(index: int, records: int, rng: random.Random) -> bytes:
    begin = 1767225600 + (index % 7) * 86400
    rows = []
    for _ in range(records):
        ip = rng.choice(POOL)
        ok = rng.random() < 0.8
        rows.append(
            RECORD.format(
                ip=ip,
                count=rng.randrange(1, 500),
                disp="none" if ok else "reject",
                dkim="pass" if ok else "fail",
                spf="pass" if ok or rng.random() < 0.5 else "fail",
                env="reports-lab.test" if ok else "spoof.test",
                dkim_domain="reports-lab.test" if ok else "spoof.test",
            )
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><feedback><report_metadata>'
        f"<org_name>receiver{index % 17}.test</org_name><email>dmarc@receiver.test</email>"
        f"<report_id>bench-{index}</report_id><date_range><begin>{begin}</begin>"
        f"<end>{begin + 86399}</end></date_range></report_metadata><policy_published>"
        "<domain>reports-lab.test</domain><adkim>r</adkim><aspf>r</aspf><p>reject</p>"
        "<sp>reject</sp><pct>100</pct></policy_published>" + "".join(rows) + "</feedback>"
    )
    return gzip.compress(xml.encode(), mtime=0)


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(
            f"{argv[:4]} failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
        )
    return wall, usage.ru_maxrss / 1024


def _config(workdir: Path, name: str) -> Path:
    path = workdir / f"{name}.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{workdir / (name + ".db")}"
[dns]
nameservers = ["DNS_ADDRESS"]
timeout = 2.0
retries = 1
[[domains]]
name = "reports-lab.test"
""",
        encoding="utf-8",
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="sw-bench-reports-") as tmp:
        work = Path(tmp)
        full, tenth, out = work / "full", work / "tenth", work / "out"
        for folder in (full, tenth, out, work / "knot"):
            folder.mkdir()
        for i in range(args.files):
            data = _report(i, args.records, rng)
            (full / f"receiver!reports-lab.test!{i}.xml.gz").write_bytes(data)
            if i < max(1, args.files // 10):
                (tenth / f"receiver!reports-lab.test!{i}.xml.gz").write_bytes(data)
        total = args.files * args.records
        size = sum(p.stat().st_size for p in full.iterdir()) / 1e6
        print(f"{args.files} files, {total} records, {size:.1f} MB gzipped")
        config = _config(work, "full"), _config(work, "tenth")
        with KnotServer(REPO / "tests" / "zones", workdir=work / "knot") as knot:
            ingest = [str(bindir / "senderwatch"), "reports", "ingest", "--no-alerts"]
            _point_at(config, knot.address)
            ours = _run([*ingest, "--config", str(config[0]), "--dir", str(full)])
            peer = _run([str(bindir / "parsedmarc"), "--offline", "-s", "-o", str(out), str(full)])
            small = _run([*ingest, "--config", str(config[1]), "--dir", str(tenth)])
        stored = _count(work / "full.db")
        _line("ours", ours, total, f"stored {stored} records: reverse DNS + SQLite")
        _line("parsedmarc", peer, total, f"wrote {_peer_records(out / 'aggregate.json')} to JSON")
        tenth_records = len(list(tenth.iterdir())) * args.records
        _line("ours/10", small, tenth_records, f"{len(list(tenth.iterdir()))} files")
        print(
            f"rate: ours {peer[0] / ours[0]:.2f}x parsedmarc's (target >= 0.8x); "
            f"peak memory with all files / a tenth: {ours[1] / small[1]:.2f}"
        )


def _line(name: str, run: tuple[float, float], records: int, note: str) -> None:
    wall, rss = run
    print(f"{name:<10} {wall:7.1f} s {records / wall:9.0f} records/s  peak {rss:5.0f} MB  ({note})")


def _point_at(configs: tuple[Path, Path], address: str) -> None:
    for path in configs:
        path.write_text(path.read_text().replace("DNS_ADDRESS", address), encoding="utf-8")


def _count(database: Path) -> int:
    import sqlite3

    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM dmarc_records").fetchone()[0])


def _peer_records(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(len(r.get("records", [])) for r in json.loads(path.read_text()))


if __name__ == "__main__":
    main()
