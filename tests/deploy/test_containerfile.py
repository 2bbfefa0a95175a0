"""deploy/Containerfile, read as a build would read it (no container runtime here to build it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CONTAINERFILE = DEPLOY / "Containerfile"
IGNOREFILE = DEPLOY / "Containerfile.dockerignore"
SECRET_WORDS = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and `\\` continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in CONTAINERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Containerfile ends inside a continued line"
    pairs = []
    for line in logical:
        word, _, rest = line.partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    """The instructions after the last FROM: what the shipped image is made of."""
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def only(stage: list[tuple[str, str]], word: str) -> str:
    """The arguments of the one `word` instruction of the stage (the last one counts)."""
    found = [rest for w, rest in stage if w == word]
    assert found, f"no {word} in the final stage"
    return found[-1]


def test_runs_as_an_unprivileged_user() -> None:
    """The last USER of the final stage is a named non-root user, set before ENTRYPOINT."""
    stage = final_stage()
    user = only(stage, "USER").split(":")[0]
    assert user not in ("root", "0", "")
    words = [w for w, _ in stage]
    assert words.index("USER") < words.index("ENTRYPOINT")
    assert any(w == "RUN" and "useradd --system --uid 10001" in r for w, r in stage)


def test_healthcheck_asks_healthz_without_curl() -> None:
    """Slim images have no curl: the check is Python's urllib against /healthz."""
    check = only(final_stage(), "HEALTHCHECK")
    assert "CMD" in check
    assert "/healthz" in check
    assert "urllib.request" in check
    assert "curl" not in check and "wget" not in check


def test_entrypoint_state_and_port() -> None:
    """`senderwatch run --config ...`, the SQLite default on the volume, the API port."""
    stage = final_stage()
    assert json.loads(only(stage, "ENTRYPOINT")) == ["senderwatch", "run"]
    assert json.loads(only(stage, "CMD")) == ["--config", "/etc/senderwatch/senderwatch.toml"]
    assert only(stage, "VOLUME") == "/var/lib/senderwatch"
    assert only(stage, "EXPOSE") == "8025"
    env = " ".join(rest for w, rest in stage if w == "ENV")
    assert "XDG_STATE_HOME=/var/lib" in env.split()


def test_no_secret_is_baked_into_the_image() -> None:
    """No ENV/ARG names a secret and no config or env file is copied in: they come at run time."""
    for word, rest in instructions():
        if word in ("ENV", "ARG", "LABEL"):
            assert not SECRET_WORDS.search(rest), rest
        if word in ("COPY", "ADD"):
            sources = rest.split()[:-1]
            for source in sources:
                if source.startswith("--"):
                    continue
                assert source != "."
                assert not source.endswith((".toml", "env")) or source == "pyproject.toml", source


def test_ignore_file_keeps_local_state_out_and_the_package_in() -> None:
    """.git, .venv, tests, databases and local configs never reach the build context."""
    patterns = [
        line.strip()
        for line in IGNOREFILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (".git", ".venv", "tests", "*.db", "*.toml", ".env"):
        assert needed in patterns, needed
    assert "!pyproject.toml" in patterns
    copied = {s for w, r in instructions() if w == "COPY" for s in r.split()[:-1]}
    for source in copied - {"--from=build", "/opt/senderwatch"}:
        assert source in ("pyproject.toml", "README.md") or source in (
            "monitor",
            "checks",
            "alerts",
        )
        assert source not in patterns


class _Health(BaseHTTPRequestHandler):
    """/healthz answers with the status the test sets on the server."""

    def do_GET(self) -> None:
        code = self.server.health_code if self.path == "/healthz" else 404  # type: ignore[attr-defined]
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads exit codes, not access logs."""


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    """A loopback HTTP server standing in for the daemon's /healthz."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.health_code = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(port: int) -> int:
    """The HEALTHCHECK's own command, pointed at `port` instead of 8025; its exit code."""
    argv = json.loads(only(final_stage(), "HEALTHCHECK").split("CMD", 1)[1])
    assert argv[:2] == ["python", "-c"]
    code = argv[2].replace("127.0.0.1:8025", f"127.0.0.1:{port}")
    assert code != argv[2]
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
    ).returncode


def test_healthcheck_command_passes_on_200_and_fails_on_503(
    health_server: ThreadingHTTPServer,
) -> None:
    """The container turns unhealthy when /healthz says so, not only when nothing listens."""
    port = health_server.server_address[1]
    assert run_healthcheck(port) == 0
    health_server.health_code = 503  # type: ignore[attr-defined]
    assert run_healthcheck(port) != 0
