"""The daemon hands freed heap back to the system between cycles."""

from __future__ import annotations


def test_free_heap_is_returned_on_glibc() -> None:
    """The daemon trims glibc's arenas when it goes idle; on this platform (Debian, glibc)
    the call must be found, or the idle-memory figures in docs/daemon.md do not hold."""
    from monitor.daemon.memory import release_free_heap

    assert release_free_heap() is True
