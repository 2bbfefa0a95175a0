"""DNS posture scan benchmark: senderwatch against checkdmarc, side by side, in one run.

    .venv/bin/python bench/dns_scan.py [--domains 2000] [--delay-ms 20] [--sample 100]

Generates N domains with shared ESP-like SPF include chains, DMARC, MX, DKIM, MTA-STS and
TLS-RPT; serves them from a real Knot server behind a dnsdist front that adds `--delay-ms` to
every answer; then measures, each in its own process so peak RSS is its own:
  (a) senderwatch's full posture check (6 checks per domain, stored in SQLite) of all N;
  (b) checkdmarc's own API called sequentially for SPF, DMARC and MX on a sample;
  (c) the raw ceiling: dnspython queries/s against the same front at the same concurrency.
Targets on a 2-core machine: (a) at least 20x (b) in domains/s; (a) at least half of (c)
in queries/s; (a) peak RSS under 150 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._dns_lab import Lab  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_senderwatch(front: str, domains: list[str], concurrency: int) -> dict[str, object]:
    """senderwatch's whole posture run over all domains: plan, check, store in SQLite, drift.

    Exactly `run_checks` (what `senderwatch check` runs), with the resolver passed in so its
    counters can be read, and passing results' evidence not kept in memory (text output).
    """
    from monitor.config import parse_settings
    from monitor.engine.check_run import run_checks
    from monitor.engine.runner import make_resolver

    with tempfile.TemporaryDirectory() as tmp:
        settings = parse_settings(
            {
                "database": {"url": f"sqlite:///{tmp}/bench.db"},
                "dns": {
                    "nameservers": (front,),
                    "timeout": 5.0,
                    "retries": 2,
                    "concurrency": concurrency,
                },
                "domains": tuple({"name": d, "dkim_selectors": ("s1",)} for d in domains),
            },
            "bench",
        )
        resolver = make_resolver(settings.dns)
        started = time.perf_counter()
        outcome = run_checks(settings, trigger="bench", resolver=resolver, keep_evidence=False)
        elapsed = time.perf_counter() - started
    results = [stored.result for stored in outcome.results]
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    return {
        "elapsed": elapsed,
        "queries": resolver.queries_sent,
        "cache_hits": resolver.cache_hits,
        "results": len(results),
        "rss_mb": _peak_rss_mb(),
        "statuses": statuses,
    }


def worker_checkdmarc(front: str, domains: list[str]) -> dict[str, float]:
    """checkdmarc's public API, sequentially, SPF + DMARC + MX per domain (no TLS probes)."""
    import checkdmarc
    import checkdmarc.utils
    import dns.nameserver
    from checkdmarc.dmarc import check_dmarc
    from checkdmarc.smtp import get_mx_hosts
    from checkdmarc.spf import check_spf

    host, port = front.rsplit(":", 1)
    servers = [dns.nameserver.Do53Nameserver(host, int(port))]
    checkdmarc.utils.DNS_CACHE.clear()
    failures = 0
    started = time.perf_counter()
    for domain in domains:
        for call in (check_spf, check_dmarc):
            result = call(domain, nameservers=servers, timeout=5.0)
            failures += "error" in result
        try:
            get_mx_hosts(domain, nameservers=servers, timeout=5.0)
        except Exception:
            failures += 1
    elapsed = time.perf_counter() - started
    return {
        "elapsed": elapsed,
        "failures": float(failures),
        "rss_mb": _peak_rss_mb(),
        "version": checkdmarc.__version__,
    }  # type: ignore[dict-item]


def worker_ceiling(
    front: str, domains: list[str], concurrency: int, total: int
) -> dict[str, float]:
    """Raw dnspython resolve() rate against the same front, same concurrency, no cache."""
    import dns.nameserver
    import dns.resolver

    host, port = front.rsplit(":", 1)
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [dns.nameserver.Do53Nameserver(host, int(port))]
    res.lifetime = 5.0
    names = [domains[i % len(domains)] for i in range(total)]
    done = 0
    lock = threading.Lock()

    def ask(name: str) -> None:
        nonlocal done
        res.resolve(name, "TXT")
        with lock:
            done += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(ask, names))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "queries": float(done), "rss_mb": _peak_rss_mb()}


def _spawn(kind: str, front: str, domains: list[str], args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(domains, f)
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--front",
        front,
        "--domains-file",
        f.name,
        "--concurrency",
        str(args.concurrency),
        "--ceiling-queries",
        str(args.ceiling_queries),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    Path(f.name).unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--delay-ms", type=int, default=20)
    parser.add_argument("--sample", type=int, default=100, help="domains for checkdmarc")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--ceiling-queries", type=int, default=6000)
    parser.add_argument("--worker", choices=["senderwatch", "checkdmarc", "ceiling"])
    parser.add_argument("--front")
    parser.add_argument("--domains-file")
    args = parser.parse_args()

    if args.worker:
        domains = json.loads(Path(args.domains_file).read_text())
        if args.worker == "senderwatch":
            res = worker_senderwatch(args.front, domains, args.concurrency)
        elif args.worker == "checkdmarc":
            res = worker_checkdmarc(args.front, domains)
        else:
            res = worker_ceiling(args.front, domains, args.concurrency, args.ceiling_queries)
        print(json.dumps(res))
        return

    print(
        f"generating {args.domains} domains, serving them via Knot + dnsdist "
        f"(+{args.delay_ms} ms per answer) ...",
        flush=True,
    )
    with Lab(args.domains, args.delay_ms) as lab:
        front = lab.front.address
        ceiling = _spawn("ceiling", front, lab.domains, args)
        sw = _spawn("senderwatch", front, lab.domains, args)
        cd = _spawn("checkdmarc", front, lab.domains[: args.sample], args)

    sw_rate = args.domains / sw["elapsed"]
    cd_rate = args.sample / cd["elapsed"]
    ceiling_qps = ceiling["queries"] / ceiling["elapsed"]
    sw_qps = sw["queries"] / sw["elapsed"]
    rows = [
        ("domains", f"{args.domains}", f"{args.sample} (sample)"),
        ("checks per domain", "spf dmarc dkim mx mta_sts tlsrpt", "spf dmarc mx"),
        ("elapsed s", f"{sw['elapsed']:.2f}", f"{cd['elapsed']:.2f}"),
        ("domains/s", f"{sw_rate:.1f}", f"{cd_rate:.2f}"),
        ("DNS queries/domain", f"{sw['queries'] / args.domains:.2f}", "-"),
        ("queries/s", f"{sw_qps:.0f}", "-"),
        ("peak RSS MB", f"{sw['rss_mb']:.1f}", f"{cd['rss_mb']:.1f}"),
        ("result statuses", json.dumps(sw["statuses"]), f"failures={cd['failures']:.0f}"),
    ]
    print(f"\n{'':24}{'senderwatch':>34}  {'checkdmarc ' + cd['version']:>22}")
    for name, a, b in rows:
        print(f"{name:24}{a:>34}  {b:>22}")
    print(f"\nraw ceiling (dnspython, {args.concurrency} threads): {ceiling_qps:.0f} queries/s")
    print(f"speed-up vs sequential checkdmarc: {sw_rate / cd_rate:.1f}x   (target >= 20x)")
    print(f"share of raw-query ceiling:        {sw_qps / ceiling_qps:.0%}   (target >= 50%)")
    print(f"senderwatch peak RSS:              {sw['rss_mb']:.1f} MB   (target < 150 MB)")


if __name__ == "__main__":
    main()
