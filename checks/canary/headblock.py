"""The top-level header block of a message, read in bounded memory.

The inspection is decided by header fields alone: Authentication-Results, Received, From and
DKIM-Signature. What a receiver found wrong with the body (`body hash did not verify`) it
says in its own header, and the headers of an attached message/rfc822 part must never be
read (RFC 8601 §7.10). So nothing reads the body: a reader takes at most `READ_BYTES` from
the start of a message, and `header_block` cuts the header block out of them. A 100 MB
message costs what its header block costs.

The header block ends where the stdlib `email` parser ends it, so the fields are the same
as parsing the whole message: at the first empty line, or at the first line that cannot be
a header line (no `name:`, not a continuation), under any of the line endings the stdlib
accepts (CRLF, LF, CR). A block longer than `MAX_HEADER_BYTES` is refused with
`HeaderBlockTooLarge`, never cut: the lower half of a header block is where forged results
and the sender's own fields stand, and a cut could drop the receiver's Received hop.
"""

from __future__ import annotations

import re
from typing import BinaryIO

__all__ = [
    "MAX_HEADER_BYTES",
    "READ_BYTES",
    "HeaderBlockTooLarge",
    "header_block",
    "read_header_block",
]

MAX_HEADER_BYTES = 1024 * 1024
"""The largest header block inspected (1 MiB). Real ones are a few KiB, a canary's under
10 KiB; Postfix keeps at most 100 KiB of any one header (`header_size_limit`)."""

_SLACK = 1024  # read past the limit to see the line after a block that ends right at it
READ_BYTES = MAX_HEADER_BYTES + _SLACK
"""What a reader takes from the start of a message: enough to find any block that fits."""

_EOL = re.compile(rb"\r\n|\r|\n")
# email.feedparser.headerRE, for bytes: a header line, a continuation, or an mbox From_.
_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")


class HeaderBlockTooLarge(ValueError):
    """The header block is longer than the limit; the message is not inspected."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the header block is over {limit:,} bytes ({_human(limit)}), the most senderwatch "
            "inspects; the message is not read"
        )


def header_block(data: bytes, limit: int = MAX_HEADER_BYTES) -> bytes:
    """The header block at the start of `data`, with its last line ending, without the body.

    Args:
        data: the whole message, or at least its first `limit + 1024` bytes (`READ_BYTES`
            for the default limit); anything after that is never looked at.
        limit: the largest header block accepted, in bytes.

    Raises:
        HeaderBlockTooLarge: the block does not end within `limit` bytes.
    """
    window = limit + _SLACK
    end = min(len(data), window)
    pos = 0
    for m in _EOL.finditer(data, 0, end):
        if m.start() == pos or not _HEADER_LINE.match(data, pos, m.start()):
            return _checked(data[:pos], limit)  # an empty line, or the body began unannounced
        pos = m.end()
    if pos < end and not _HEADER_LINE.match(data, pos, end):
        return _checked(data[:pos], limit)
    return _checked(data[:end], limit)  # no body: the message ends inside its header block


def read_header_block(stream: BinaryIO, limit: int = MAX_HEADER_BYTES) -> bytes:
    """Read a message's header block from `stream`, reading at most `limit + 1024` bytes.

    The stream is left somewhere after the block; the caller decides whether to drain it.

    Raises:
        HeaderBlockTooLarge: the block does not end within `limit` bytes.
    """
    return header_block(stream.read(limit + _SLACK), limit)


def _checked(head: bytes, limit: int) -> bytes:
    if len(head) > limit:
        raise HeaderBlockTooLarge(limit)
    return head


def _human(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
