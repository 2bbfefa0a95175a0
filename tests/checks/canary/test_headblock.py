"""The bounded header-block reader: same fields as the stdlib parser, never more than it needs."""

from __future__ import annotations

import email.parser
import email.policy
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.canary.headblock import (
    MAX_HEADER_BYTES,
    READ_BYTES,
    HeaderBlockTooLarge,
    header_block,
    read_header_block,
)

_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)


def _fields(raw: bytes) -> list[tuple[str, str]]:
    return [(n, str(v)) for n, v in _PARSER.parsebytes(raw).raw_items()]


_EOL = st.sampled_from([b"\r\n", b"\n", b"\r"])
_LINE = st.one_of(
    st.builds(
        lambda n, v: n + b": " + v,
        st.sampled_from([b"From", b"X-A", b"Received"]),
        st.binary(max_size=20),
    ),
    st.builds(lambda v: b"\t" + v, st.binary(max_size=20)),  # a continuation
    st.sampled_from([b"", b"no colon here", b"From nobody", b"  ", b"\xff\xfe: x", b"Subject:"]),
    st.binary(max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_LINE, _EOL), max_size=12), st.binary(max_size=40))
def test_fields_are_those_the_stdlib_reads_from_the_whole_message(
    lines: list[tuple[bytes, bytes]], tail: bytes
) -> None:
    """Property: cutting the block first never changes which header fields are read."""
    raw = b"".join(line + eol for line, eol in lines) + tail
    assert _fields(header_block(raw)) == _fields(raw)


def test_block_ends_at_the_first_empty_line_and_keeps_its_last_line_ending() -> None:
    """The blank line and the body are not part of the block."""
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nSubject: in the body\r\n"
    assert header_block(raw) == b"From: a@example.com\r\nSubject: x\r\n"


def test_message_without_a_body_is_all_header_block() -> None:
    """A message that ends inside its header block is read whole."""
    assert header_block(b"From: a@example.com\nSubject: x") == b"From: a@example.com\nSubject: x"


def test_block_over_the_limit_is_refused_not_cut() -> None:
    """A cut could drop the receiver's Received hop; refusing cannot mislead."""
    raw = b"X-Big: " + b"x" * 2000 + b"\n\nbody"
    with pytest.raises(HeaderBlockTooLarge) as info:
        header_block(raw, limit=1000)
    assert info.value.limit == 1000
    assert header_block(raw, limit=3000).startswith(b"X-Big: ")


def test_block_of_exactly_the_limit_is_accepted() -> None:
    """The limit is inclusive, and the blank line after it is still seen."""
    raw = b"X-A: " + b"y" * (MAX_HEADER_BYTES - 6) + b"\n\nbody"
    assert len(header_block(raw)) == MAX_HEADER_BYTES


class _CountingStream(io.BytesIO):
    """A stream that remembers how many bytes were asked of it."""

    asked = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.asked += len(data)
        return data


def test_reading_from_a_stream_stops_after_read_bytes() -> None:
    """A 20 MB body is never read: the reader takes at most READ_BYTES from the stream."""
    stream = _CountingStream(b"From: a@example.com\n\n" + b"b" * 20_000_000)
    assert read_header_block(stream) == b"From: a@example.com\n"
    assert stream.asked <= READ_BYTES


def test_huge_single_line_without_any_line_ending_is_too_large() -> None:
    """No line ending within the first READ_BYTES: the block cannot fit, whatever follows."""
    with pytest.raises(HeaderBlockTooLarge):
        read_header_block(io.BytesIO(b"X-A: " + b"z" * (3 * MAX_HEADER_BYTES)))
