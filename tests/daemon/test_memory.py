"""The daemon hands freed heap back to the system between cycles."""

from __future__ import annotations


def test_free_heap_is_returned_on_glibc() -> None:
    """The daemon trims glibc's arenas when it goes idle; on this platform (Debian, glibc)
    the call must be found, or the idle-memory figures in docs/daemon.md do not hold."""
    from monitor.daemon.memory import release_free_heap

    assert release_free_heap() is True


def test_the_daemon_serving_side_does_not_import_the_canary_round_trip() -> None:
    """/metrics and the pages read stored canaries through `checks.canary.record`; the round
    trip (inbox readers, IMAP client, senders: about 3 MB) loads only when a canary runs, and
    the alert channels (requests, Jinja2: about 6 MB) only when the config has channels."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys\n"
        "import monitor.daemon.http, monitor.daemon.scheduler\n"
        "print(sorted(m for m in ('checks.canary.roundtrip', 'imapclient', 'alembic',"
        " 'requests', 'jinja2')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
