"""The README's demo DNS helper (`python -m tests.support.dns_server`), as a new user meets it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_busy_port_is_one_line_and_leaves_no_temp_folder(tmp_path: Path) -> None:
    """Another program on the port: one line naming it, exit 1, no traceback, nothing left."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "tests.support.dns_server", "--port", str(port)),
                str(ROOT / "tests" / "zones"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(scratch)},
            check=False,
        )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"error: 127.0.0.1:{port} (UDP) is already in use by another program; "
        "choose another with --port"
    ]
    assert list(scratch.iterdir()) == []
