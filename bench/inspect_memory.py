"""Benchmark: peak memory of `senderwatch inspect` on a 100 MB message, beside the old approach.

    .venv/bin/python bench/inspect_memory.py [--megabytes 100] [--repeat 3]

Builds, in a temporary directory, a canary that passes (the corpus's all-pass.eml headers)
carrying a base64 attachment that brings it to --megabytes (written in chunks, so the
builder itself stays small), then runs, each in a fresh process, interleaved --repeat times:

    senderwatch   python -m monitor inspect FILE --trusted mx.example.net   (must exit 0)
    peer          python -c 'email.message_from_binary_file(f)'             (the full parse
                  of the same file with the stdlib)
    old-inspect   what `inspect` did before reading only the header block: the whole file
                  with Path.read_bytes, then BytesHeaderParser.parsebytes (which decodes and
                  keeps the body), with senderwatch's imports
    floor         python -c 'import monitor.cli'  (interpreter + senderwatch's imports, no
                  message: what any senderwatch command costs)

Peak RSS is the child's ru_maxrss, read by a small wrapper process around each run
(resource.getrusage(RUSAGE_CHILDREN) of a process that ran only that child), so runs never
mix. Printed: the median and maximum per command, the ratio peer / senderwatch, and the
target (senderwatch under 150 MB on a 100 MB message); exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ROOT / "tests" / "corpus" / "authresults" / "messages" / "all-pass.eml"
TARGET_MB = 150.0
_MEASURE = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def build_message(path: Path, megabytes: int) -> int:
    """Write the passing canary with an attachment up to `megabytes`; return its size."""
    head, _, _ = HEADERS.read_bytes().partition(b"\n\n")
    head = head.replace(
        b"Content-Type: text/plain; charset=utf-8",
        b'Content-Type: multipart/mixed; boundary="sw-bench"',
    )
    block = base64.encodebytes(os.urandom(57 * 20_000))  # 76-column lines, ~1.5 MB
    target = megabytes * 1_000_000
    with path.open("wb") as out:
        out.write(head + b"\n\n--sw-bench\nContent-Type: text/plain\n\ncanary\n")
        out.write(b"--sw-bench\nContent-Type: application/octet-stream\n")
        out.write(b"Content-Transfer-Encoding: base64\n\n")
        while out.tell() + len(block) < target:
            out.write(block)
        out.write(block[: max(0, target - out.tell() - 16)])
        out.write(b"\n--sw-bench--\n")
        return out.tell()


def peak_rss_mb(command: list[str]) -> tuple[int, float]:
    """(exit status, peak RSS in MB) of `command`, run alone under a measuring wrapper."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    rc, kilobytes = done.stdout.split()
    return int(rc), int(kilobytes) / 1024  # Linux reports ru_maxrss in KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="senderwatch-bench-") as tmp:
        message = Path(tmp) / "large.eml"
        size = build_message(message, args.megabytes)
        commands = {
            "senderwatch": [
                sys.executable, "-m", "monitor", "inspect", str(message),
                "--trusted", "mx.example.net",
            ],
            "peer": [
                sys.executable, "-c",
                "import email, sys\n"
                "with open(sys.argv[1], 'rb') as f: email.message_from_binary_file(f)",
                str(message),
            ],
            "old-inspect": [
                sys.executable, "-c",
                "import email.parser, email.policy, sys, pathlib, monitor.cli\n"
                "raw = pathlib.Path(sys.argv[1]).read_bytes()\n"
                "email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)",
                str(message),
            ],
            "floor": [sys.executable, "-c", "import monitor.cli"],
        }  # fmt: skip
        peaks: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                rc, peak = peak_rss_mb(command)
                if rc != 0:
                    print(f"{name} exited {rc}; the measurement is not of a real run")
                    return 2
                peaks[name].append(peak)
    print(f"message: {size / 1e6:.1f} MB ({size:,} bytes), {args.repeat} runs each, peak RSS:")
    for name, values in peaks.items():
        print(
            f"  {name:<12} median {statistics.median(values):7.1f} MB   max {max(values):7.1f} MB"
        )
    ours, peer = max(peaks["senderwatch"]), statistics.median(peaks["peer"])
    old = statistics.median(peaks["old-inspect"])
    print(f"peer / senderwatch: {peer / ours:.1f}x; old-inspect / senderwatch: {old / ours:.1f}x")
    verdict = "met" if ours < TARGET_MB else "MISSED"
    print(
        f"target: senderwatch under {TARGET_MB:.0f} MB on this message: {verdict} ({ours:.1f} MB)"
    )
    return 0 if ours < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
