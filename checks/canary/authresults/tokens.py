"""The lexical layer under the Authentication-Results parser: CFWS, keywords, values.

Each reader takes the text and a position and returns what it read plus the new position,
or raises `Malformed` (internal; the parser turns it into a `problems` line). Readers are
anchored compiled patterns for runs of ordinary characters plus small loops for the two
constructs a regular expression cannot hold: nested comments and quoted-pairs.

RFC 5322 CFWS (§3.2.2): whitespace, folding (CRLF + WSP) and comments `( ... )`, which may
nest and may hold `;`, `=` and quoted-pairs (`\\)`). Comments may touch the token before
them (`dkim=pass(ok)`, Yahoo) or after them. Every reader is linear in the input: nesting
depth is a counter, never recursion, so a header of 10,000 `(` costs no stack.
"""

from __future__ import annotations

import re

__all__ = [
    "Malformed",
    "read_comment",
    "read_keyword",
    "read_pvalue",
    "read_quoted",
    "read_value",
    "skip_cfws",
    "skip_to_semicolon",
]

_WS = re.compile(r"[ \t\r\n]*")
_CTEXT = re.compile(r"[^()\\]+")
_QTEXT = re.compile(r'[^"\\]+')
# ldh-str (RFC 5321) widened by `_`: Yahoo writes `perm_fail`, some filters `x_foo`.
KEYWORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
# RFC 2045 token, leniently: anything but CTLs, space and the delimiters this grammar uses.
_VALUE = re.compile(r'[^\x00-\x20\x7f;()"=\\]+')
# pvalue (RFC 8601 §2.2) adds addresses and base64 (`a@b`, `AbCd+/12=`): `=` and `@` allowed.
_PVALUE = re.compile(r'[^\x00-\x20\x7f;()"\\]+')
_SPACES = re.compile(r"\s+")
_SKIP = re.compile(r'[^;("\\]+')
_CFWS_START = frozenset(" \t\r\n(")


class Malformed(Exception):
    """A syntax problem at `pos`; the parser records it and recovers or stops."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def skip_cfws(text: str, pos: int, comments: list[str]) -> int:
    """Skip whitespace and comments from `pos`; append each comment's text to `comments`."""
    n = len(text)
    while pos < n and text[pos] in _CFWS_START:
        if text[pos] == "(":
            pos = read_comment(text, pos, comments)
            continue
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    return pos


def read_comment(text: str, pos: int, comments: list[str]) -> int:
    """Read the comment opening at `pos` (which holds `(`), nested ones included.

    The comment's text (outer parentheses removed, folding collapsed to single spaces) is
    appended to `comments`; returns the position after the closing `)`.
    """
    start = pos
    depth = 0
    n = len(text)
    ctext = _CTEXT.match
    while pos < n:
        c = text[pos]
        if c == "(":
            depth += 1
            pos += 1
        elif c == ")":
            depth -= 1
            pos += 1
            if depth == 0:
                inner = text[start + 1 : pos - 1]
                if "\n" in inner or "  " in inner or "\t" in inner:
                    inner = _SPACES.sub(" ", inner)
                comments.append(inner.strip())
                return pos
        elif c == "\\":
            pos += 2
        else:
            pos = ctext(text, pos).end()  # type: ignore[union-attr]
    raise Malformed("unterminated comment", start)


def read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read the quoted-string opening at `pos` (which holds `"`); return its unescaped text."""
    start = pos
    pos += 1
    n = len(text)
    parts: list[str] = []
    qtext = _QTEXT.match
    while pos < n:
        c = text[pos]
        if c == '"':
            return "".join(parts), pos + 1
        if c == "\\":
            if pos + 1 < n:
                parts.append(text[pos + 1])
            pos += 2
        else:
            m = qtext(text, pos)
            parts.append(m.group())  # type: ignore[union-attr]
            pos = m.end()  # type: ignore[union-attr]
    raise Malformed("unterminated quoted string", start)


def read_keyword(text: str, pos: int, what: str) -> tuple[str, int]:
    """Read a keyword (method, result, ptype, property name), lower-cased."""
    m = KEYWORD.match(text, pos)
    if m is None:
        raise Malformed(f"expected {what}, found {_show(text, pos)}", pos)
    return m.group().lower(), m.end()


def read_value(text: str, pos: int, what: str) -> tuple[str, int]:
    """Read an RFC 8601 `value`: a token or a quoted-string (authserv-id, reason)."""
    if pos < len(text) and text[pos] == '"':
        return read_quoted(text, pos)
    m = _VALUE.match(text, pos)
    if m is None:
        raise Malformed(f"expected {what}, found {_show(text, pos)}", pos)
    return m.group(), m.end()


def read_pvalue(text: str, pos: int, what: str) -> tuple[str, int]:
    """Read a property value: a quoted-string, or a token that may hold `@`, `/`, `+`, `=`."""
    if pos < len(text) and text[pos] == '"':
        return read_quoted(text, pos)
    m = _PVALUE.match(text, pos)
    if m is None:
        raise Malformed(f"expected {what}, found {_show(text, pos)}", pos)
    return m.group(), m.end()


def skip_to_semicolon(text: str, pos: int) -> int:
    """Position of the next `;` outside comments and quoted strings, or len(text).

    Used to resynchronise after a broken result; an unterminated comment or quote
    swallows the rest of the header, exactly as a conforming reader would.
    """
    n = len(text)
    sink: list[str] = []
    while pos < n:
        c = text[pos]
        if c == ";":
            return pos
        if c == "(":
            try:
                pos = read_comment(text, pos, sink)
            except Malformed:
                return n
        elif c == '"':
            try:
                pos = read_quoted(text, pos)[1]
            except Malformed:
                return n
        elif c == "\\":
            pos += 2
        else:
            pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]
    return n


def _show(text: str, pos: int) -> str:
    """A short, printable excerpt of `text` at `pos` for a problem line."""
    if pos >= len(text):
        return "end of header"
    excerpt = text[pos : pos + 20]
    return repr(excerpt + ("..." if len(text) > pos + 20 else ""))
