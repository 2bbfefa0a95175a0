"""Give freed heap back to the system when the daemon goes idle.

glibc's malloc keeps memory a burst of work freed (a DNS cycle's answers, result documents,
a canary's message) in its arenas, one per thread that allocated, and returns it only when
the top of a heap is free. A daemon that idles between cycles then holds its peak for good.
`malloc_trim(0)` releases the free pages of every arena; the daemon calls it when its last
running job ends. Measured with bench/daemon_footprint.py (docs/daemon.md has the figures).
Elsewhere than glibc (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

__all__ = ["release_free_heap"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_heap() -> bool:
    """Return free heap pages to the system; whether the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
