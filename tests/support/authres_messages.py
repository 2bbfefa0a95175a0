"""Messages built from the Authentication-Results corpus for tests that need them generated.

The reproducer of the oversized-receiver-header forgery needs a receiver header of 1,200
results (about 80 KB); it is generated here from the small corpus message rather than kept as
a large file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MESSAGES", "many_results"]

MESSAGES = Path(__file__).parents[1] / "corpus" / "authresults" / "messages"


def many_results(count: int) -> bytes:
    """receiver-many-results.eml with `count` dkim=fail results in the receiver's header.

    The corpus file carries 10; 1,200 put the header over the parser's 64 KiB limit while
    the forged passing header below the receiver's Received stays small.
    """
    raw = (MESSAGES / "receiver-many-results.eml").read_bytes()
    start = raw.index(b"\tdkim=fail header.d=example.com header.s=x0001")
    end = raw.index(b"\nReceived:")
    extra = b";\n".join(
        b"\tdkim=fail header.d=example.com header.s=x%04d header.b=Fail%04d" % (i, i)
        for i in range(1, count)
    )
    return raw[:start] + extra + raw[end:]
