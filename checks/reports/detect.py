"""What a blob is, judged by its first bytes only.

Receivers label reports inconsistently (GMX sends gzip as `application/octet-stream`, some
send bare `text/xml`, Seznam names a zip `.xml.zip`), so neither a file name nor a MIME type
is ever trusted: a zip starts `PK\\x03\\x04`, a gzip `\\x1f\\x8b`, XML with `<` (after an
optional byte-order mark and white space), JSON with `{`, and a mail with a header field.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Kind", "detect"]

Kind = Literal["zip", "gzip", "xml", "json", "mail", "unknown"]

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HEADER = re.compile(rb"^(?:From [^\r\n]*\r?\n)?[!-9;-~]{1,76}:[ \t]?[^\r\n]*\r?\n")


def detect(data: bytes) -> Kind:
    """The kind of `data` by its magic bytes (never its name or MIME type)."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    head = data[:4096]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    stripped = head.lstrip()
    if stripped.startswith(b"<"):
        return "xml"
    if stripped.startswith(b"{"):
        return "json"
    if _HEADER.match(head):
        return "mail"
    return "unknown"
