"""Memory, CPU and API latency of a running `senderwatch run`, beside the interpreter's floor.

    .venv/bin/python bench/daemon_footprint.py [--minutes 5] [--domains 10] [--delay-ms 20]
        [--python /path/to/venv/bin/python]

`--python` runs the daemon with another interpreter: a venv made by `pip install .` holds
what users install. The dev venv also holds the test tools (Selenium brings trio, which
dnspython imports whenever it is installed), a few MB a user's daemon never carries.

The daemon is a real subprocess (`python -m monitor run`) watching `--domains` generated domains
served by the bench DNS lab (Knot behind dnsdist adding `--delay-ms` to every answer, as a
resolver on the internet would) and two environments. Every job fires every 2 s for
`--minutes`: the DNS checks of all domains, and per environment its relay job (the domain's
DNS checks plus the relay probe against an SMTP sink on loopback, aiosmtpd in this process).
The environments have no inbox, so no canary job runs: a canary needs the mail lab (root and
network namespaces); the relay probe and DNS jobs are what the daemon does on most ticks.

Figures, from /proc/PID/status (VmRSS) and /proc/PID/stat (utime + stime) of the daemon:
RSS after start, after the first cycle, at cycle 10 and at the end of the cycling; CPU seconds
per cycle (one cycle = one 2 s period: the DNS run and both relay runs); then the config is
reloaded (SIGHUP) to hourly jobs and the daemon is watched idle for `--idle-seconds`: its CPU
share and RSS. API latency: `GET /api/v1/runs/{id}` of a finished post-release run, `--requests`
times in a row, p50 and p99, once while the jobs cycle and once idle (the target is judged on
the idle figure; the cycling one shows contention on a 2-core machine).

The peer in the same run is a plain `python -c 'import time; time.sleep(...)'` process: the
interpreter's own RSS floor, printed beside the daemon's.

Targets: idle RSS after the cycles under 110 MB, at most 5 MB RSS growth from cycle 10 to the
end of the cycling, idle CPU under 1 % of a core, API p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._dns_lab import Lab  # noqa: E402
from tests.support.smtp_server import SmtpServer  # noqa: E402

TOKEN_ENV = "SW_BENCH_API_TOKEN"
TOKEN = "bench-token-not-a-secret"
IMAP_ENV = "SW_BENCH_IMAP_PASSWORD"  # an inbox no job opens (see the docstring)
CLK_TCK = os.sysconf("SC_CLK_TCK")
DNS_RUN = re.compile(r"run \d+ dns: ")


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` has used (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def config_text(database: Path, nameserver: str, domains: list[str], relay: int, every: str) -> str:
    """Every domain checked by the `dns` job, two environments with a relay job, all `every`."""
    lines = [
        "[database]",
        f"url = {json.dumps(f'sqlite:///{database}')}",
        "[dns]",
        f"nameservers = [{json.dumps(nameserver)}]",
        "timeout = 2.0",
        "retries = 1",
        "[api]",
        "port = 0",
        f'token_env = "{TOKEN_ENV}"',
        "max_queued = 100",
    ]
    for name in domains:
        lines += ["[[domains]]", f"name = {json.dumps(name)}", 'dkim_selectors = ["s1"]']
    for env, domain in (("staging", domains[0]), ("production", domains[1])):
        lines += [
            f"[environments.{env}]",
            f"domain = {json.dumps(domain)}",
            f'from = "canary@{domain}"',
            f'to = "canary@{domain}"',
            f"[environments.{env}.inbox]",  # required beside smtp; never opened (no canary job)
            'host = "127.0.0.1"',
            f"port = {relay}",
            'security = "none"',
            'username = "bench"',
            f'password_env = "{IMAP_ENV}"',
            'trusted_authserv_ids = ["mx.bench.test"]',
            f"[environments.{env}.smtp]",
            'host = "127.0.0.1"',
            f"port = {relay}",
            'security = "none"',
            "timeout = 5",
        ]
    lines += ["[daemon]", 'shutdown_timeout = "10s"', 'outbox_poll = "30s"']
    for job in ("dns", "relay"):
        lines += [f"[daemon.jobs.{job}]", f"every = {json.dumps(every)}"]
    lines += ["[daemon.jobs.canary]", 'every = "1h"', "enabled = false"]  # see the docstring
    lines += ["[daemon.jobs.retention]", 'every = "1d"', "enabled = false"]
    return "\n".join(lines) + "\n"


class Daemon:
    """`python -m monitor run` with its log in a file."""

    def __init__(self, config: Path, log: Path, python: str) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [python, "-m", "monitor", "run", "--config", str(config)],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, TOKEN_ENV: TOKEN, IMAP_ENV: "unused"},
        )
        self.pid = self.proc.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def dns_runs(self) -> int:
        return len(DNS_RUN.findall(self.log))

    def wait(self, predicate: object, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(predicate) and predicate():
                return
            if self.proc.poll() is not None:
                raise SystemExit(f"the daemon exited ({self.proc.returncode}):\n{self.log}")
            time.sleep(0.05)
        raise SystemExit(f"timed out waiting for {what}:\n{self.log[-3000:]}")

    def base_url(self) -> str:
        self.wait(lambda: "HTTP on 127.0.0.1:" in self.log, 60, "the HTTP listener")
        match = re.search(r"HTTP on 127\.0\.0\.1:(\d+)", self.log)
        assert match
        return f"http://127.0.0.1:{match[1]}"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        finally:
            self._log.close()


def finished_run(base: str) -> int:
    """Queue a post-release DNS run and wait for it; its request id."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"environment": "staging", "release": "bench", "checks": ["dns"]}
    answer = requests.post(f"{base}/api/v1/runs", json=body, headers=auth, timeout=10)
    answer.raise_for_status()
    run_id = int(answer.json()["id"])
    for _ in range(10):
        got = requests.get(f"{base}/api/v1/runs/{run_id}?wait=30", headers=auth, timeout=40)
        if got.json()["state"] == "done":
            return run_id
    raise SystemExit(f"post-release run {run_id} never finished")


def api_latency(base: str, run_id: int, n: int) -> tuple[float, float]:
    """(p50, p99) in ms of `n` sequential GET /api/v1/runs/{id} on one keep-alive session."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    url = f"{base}/api/v1/runs/{run_id}"
    session.get(url, timeout=10).raise_for_status()  # warm the connection
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        answer = session.get(url, timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
        answer.raise_for_status()
    times.sort()
    return statistics.median(times), times[min(n - 1, int(n * 0.99))]


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def measure(args: argparse.Namespace, lab: Lab, relay: SmtpServer, work: Path) -> None:
    domains = lab.domains
    config = work / "senderwatch.toml"
    db = work / "bench.db"
    config.write_text(config_text(db, lab.front.address, domains, relay.port, "2s"))
    peer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100000)"])
    daemon = Daemon(config, work / "daemon.log", args.python)
    try:
        base = daemon.base_url()
        daemon.wait(lambda: "started (pid" in daemon.log, 30, "the start")
        rss_start = rss_mb(daemon.pid)
        daemon.wait(lambda: daemon.dns_runs() >= 1, 60, "the first DNS cycle")
        rss_first = rss_mb(daemon.pid)
        run_id = finished_run(base)
        daemon.wait(lambda: daemon.dns_runs() >= 10, 120, "cycle 10")
        rss_10, runs_10, cpu_10 = rss_mb(daemon.pid), daemon.dns_runs(), cpu_seconds(daemon.pid)
        end = time.monotonic() + args.minutes * 60
        rss_max = rss_10
        while time.monotonic() < end:
            time.sleep(1)
            rss_max = max(rss_max, rss_mb(daemon.pid))
        busy_p50, busy_p99 = api_latency(base, run_id, args.requests)
        rss_end, runs_end, cpu_end = rss_mb(daemon.pid), daemon.dns_runs(), cpu_seconds(daemon.pid)
        # idle: the same process, its jobs moved to hourly (a reload does not fire them now)
        config.write_text(config_text(db, lab.front.address, domains, relay.port, "1h"))
        offset = len(daemon.log)
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait(lambda: "reload: config re-read" in daemon.log[offset:], 60, "the reload")
        time.sleep(5)  # the last cycle that was running when the reload came finishes
        cpu_idle_0, t_idle_0 = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        idle_cpu = (cpu_seconds(daemon.pid) - cpu_idle_0) / (time.monotonic() - t_idle_0)
        rss_idle = rss_mb(daemon.pid)
        idle_p50, idle_p99 = api_latency(base, run_id, args.requests)
        peer_rss = rss_mb(peer.pid)
        cycles = runs_end - runs_10
        per_cycle = (cpu_end - cpu_10) / max(cycles, 1)
        errors = daemon.log.count(" ERROR ")
    finally:
        code = daemon.stop()
        peer.kill()
        peer.wait()
    growth = rss_end - rss_10
    print(
        f"senderwatch run: {len(domains)} domains, 2 environments (relay probe + DNS), "
        f"every job every 2 s for {args.minutes:g} min, DNS delay {args.delay_ms} ms"
    )
    print(f"  DNS cycles completed: {runs_end} ({cycles} measured after cycle 10)")
    print(f"  RSS after start           {rss_start:7.1f} MB")
    print(f"  RSS after first cycle     {rss_first:7.1f} MB")
    print(f"  RSS at cycle 10           {rss_10:7.1f} MB")
    print(f"  RSS at end of cycling     {rss_end:7.1f} MB (max {rss_max:.1f} MB)")
    print(f"  RSS idle after cycles     {rss_idle:7.1f} MB")
    print(f"  peer: python sleep RSS    {peer_rss:7.1f} MB (the interpreter's floor)")
    print(f"  CPU per cycle             {per_cycle:7.3f} s (DNS run + 2 relay runs)")
    print(f"  idle CPU                  {idle_cpu * 100:7.2f} % of a core ({args.idle_seconds} s)")
    print(
        f"  API GET /api/v1/runs/{{id}} x{args.requests}: idle p50 {idle_p50:.1f} ms, "
        f"p99 {idle_p99:.1f} ms; while cycling p50 {busy_p50:.1f} ms, p99 {busy_p99:.1f} ms"
    )
    print(f"  ERROR lines in the daemon log: {errors}; exit code after SIGTERM: {code}")
    extras = _test_only_packages(args.python)
    if extras:
        print(
            f"  note: the daemon's interpreter has test-only packages ({', '.join(extras)}) that"
            " libraries import when present (dnspython loads trio); run with --python of a venv"
            " made by `pip install .` for the figure users get"
        )
    for line in [line for line in daemon.log.splitlines() if " ERROR " in line][:5]:
        print(f"    {line}")
    print("targets:")
    print(f"  idle RSS after cycles < 110 MB: {rss_idle:.1f} MB  {verdict(rss_idle < 110)}")
    print(f"  RSS growth cycle 10 -> end <= 5 MB: {growth:+.1f} MB  {verdict(growth <= 5)}")
    print(f"  idle CPU < 1 % of a core: {idle_cpu * 100:.2f} %  {verdict(idle_cpu < 0.01)}")
    print(f"  API p99 < 20 ms (idle): {idle_p99:.1f} ms  {verdict(idle_p99 < 20)}")


def _test_only_packages(python: str) -> list[str]:
    """Packages the dev extra brings that change a daemon's imports when merely installed."""
    probe = (
        "import importlib.util as u; print(*[m for m in ('trio', 'selenium') if u.find_spec(m)])"
    )
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--domains", type=int, default=10)
    parser.add_argument("--delay-ms", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--idle-seconds", type=int, default=30)
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of the daemon: a venv with `pip install .` measures what users run",
    )
    args = parser.parse_args()
    if args.domains < 2:
        raise SystemExit("--domains must be at least 2 (one per environment)")
    work = Path(tempfile.mkdtemp(prefix="senderwatch-bench-daemon-"))
    with Lab(args.domains, args.delay_ms) as lab, SmtpServer() as relay:
        measure(args, lab, relay, work)


if __name__ == "__main__":
    main()
