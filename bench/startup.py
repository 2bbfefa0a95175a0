"""Start-up time of the commands a person types, beside checkdmarc's `--help`, in one run.

    .venv/bin/python bench/startup.py [--runs 15]

Each command runs as a fresh process (as a shell runs it); the figure is the median wall time
of `--runs` runs after one warm-up, with the minimum beside it. The one-domain `check` asks a
real Knot server on loopback (tests/zones), so it measures start-up plus a real round of DNS,
not the internet. Targets (issue: start-up): `senderwatch --help` under 0.3 s and under
`checkdmarc --help`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.dns_server import KnotServer  # noqa: E402

SENDERWATCH = str(Path(sys.executable).parent / "senderwatch")
CHECKDMARC = str(Path(sys.executable).parent / "checkdmarc")
MESSAGE = ROOT / "tests" / "corpus" / "authresults" / "messages" / "lab-postfix-pass.eml"


def _time(argv: list[str], runs: int, cwd: Path) -> tuple[float, float, int]:
    """(median, minimum, exit code) of `runs` timed runs after one warm-up."""
    subprocess.run(argv, capture_output=True, cwd=cwd, check=False)
    times, code = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, cwd=cwd, check=False)
        times.append(time.perf_counter() - t0)
        code = proc.returncode
    return statistics.median(times), min(times), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="senderwatch-bench-startup-"))
    try:
        with KnotServer(ROOT / "tests" / "zones") as dns:
            config = work / "senderwatch.toml"
            config.write_text(
                f'[database]\nurl = "sqlite:///{work / "bench.db"}"\n'
                f'[dns]\nnameservers = ["{dns.address}"]\n'
                '[[domains]]\nname = "healthy.test"\ndkim_selectors = ["s1"]\n',
                encoding="utf-8",
            )
            commands = {
                "senderwatch --help": [SENDERWATCH, "--help"],
                "senderwatch config validate": [
                    *(SENDERWATCH, "config", "validate", "--config", str(config)),
                ],
                "senderwatch inspect (saved message)": [
                    *(SENDERWATCH, "inspect", str(MESSAGE), "--trusted", "mx.lab-inbox.test"),
                ],
                "senderwatch check (one domain)": [
                    *(SENDERWATCH, "check", "--config", str(config), "--no-alerts"),
                ],
                "checkdmarc --help (peer)": [CHECKDMARC, "--help"],
            }
            rows = [(name, *_time(argv, args.runs, work)) for name, argv in commands.items()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    peer = rows[-1][1]
    print(f"{'command':<38} {'median':>8} {'min':>8}  exit  vs checkdmarc --help")
    for name, median, low, code in rows:
        print(f"{name:<38} {median:>7.3f}s {low:>7.3f}s  {code:>4}  {median / peer:>5.2f}x")
    help_median = rows[0][1]
    verdict = "met" if help_median < 0.3 and help_median < peer else "MISSED"
    print(f"target: --help under 0.3 s and under checkdmarc's ({peer:.3f} s): {verdict}")


if __name__ == "__main__":
    main()
