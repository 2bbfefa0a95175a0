"""Recursive-descent parser for Authentication-Results (RFC 8601 §2.2) and its ARC copy.

Grammar, as accepted (CFWS may stand between any two items and inside none of them):

    payload   = [authserv-id [version]] ( ";" "none" / 1*( ";" resinfo ) ) [";"]
    resinfo   = method ["/" version] "=" result *( reason / property / extension )
    reason    = "reason" "=" value
    property  = ptype "." name "=" pvalue
    extension = name "=" pvalue                  ; Microsoft `action=none`, Fastmail `x-bits=`

Deliberate widenings of the RFC, each seen in real headers (and each a parse failure reported
against other parsers, e.g. OpenARC #131/#163, authentication-headers #20):
- no authserv-id at all (Microsoft 365: `spf=pass (sender IP is ...) smtp.mailfrom=...`),
  recognised when the first word is followed by `=`;
- a version token after the authserv-id (`mx.microsoft.com 1;`);
- empty results from doubled or trailing `;` (Yahoo ends with `;`);
- `_` in keywords (`perm_fail`) and property values holding `@ / + = :`.

A bare `key=value` whose key is a registered method (`dkim=pass header.d=x spf=pass`) is a
missing `;`, not an extension: the result is dropped with a problem rather than read as
`dkim=pass` carrying a property `spf`.

Anything else is a problem: the broken result is dropped, the parser resynchronises at the
next `;` outside comments and quotes, and the line goes to `AuthResults.problems`. Every
problem that lost part of the header (a dropped result, skipped text, an unreadable
authserv-id, a header over `MAX_HEADER_LENGTH`) also sets `AuthResults.unreadable`, so the
trust rules can refuse to judge by a header that said more than was read. A header over the
limit is not parsed, but its authserv-id is read from its first `_ID_PEEK` characters: whose
header it is decides whether its size is an error or just noise. No input makes the public
functions raise (tests/checks/canary/test_authresults_hostile.py).
"""

from __future__ import annotations

import re

from checks.canary.authresults.model import AuthResults, Property, ResInfo
from checks.canary.authresults.provider_results import RFC_RESULTS
from checks.canary.authresults.tokens import (
    Malformed,
    read_keyword,
    read_pvalue,
    read_value,
    skip_cfws,
    skip_to_semicolon,
)

__all__ = [
    "MAX_HEADER_LENGTH",
    "parse_arc_authentication_results",
    "parse_authentication_results",
]

MAX_HEADER_LENGTH = 64 * 1024
"""Longer headers are refused unread: real ones stay under ~4 KiB, and truncating could
change what a header says."""

_ID_PEEK = 1024  # characters of an over-long header read for its authserv-id alone

_VALUE = re.compile(r'[^\x00-\x20\x7f;()"=\\]+')
_IDLESS_METHOD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:/[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")
# One-match forms of two productions, taken when they hold no CFWS and no quotes (most real
# headers); anything else goes through the general readers, which accept the same strings.
_COMPACT_METHODSPEC = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_-]*)=([A-Za-z0-9_][A-Za-z0-9_-]*)")
_COMPACT_PROPSPEC = re.compile(
    r'([A-Za-z0-9_][A-Za-z0-9_-]*)\.([A-Za-z0-9_][A-Za-z0-9_.-]*)=([^\x00-\x20\x7f;()"\\]+)'
)
_CFWS_START = frozenset(" \t\r\n(")
_ARC_INSTANCE = re.compile(r"[ \t\r\n]*i[ \t\r\n]*=[ \t\r\n]*([0-9]{1,3})[ \t\r\n]*;")


def parse_authentication_results(value: str | bytes) -> AuthResults:
    """Parse one Authentication-Results header value (the part after the colon).

    Args:
        value: the field body, folded or not; bytes are decoded as UTF-8 (RFC 8601 allows
            UTF-8 per RFC 6532), invalid sequences replaced and reported.

    Returns:
        The parsed header; `problems` lists every syntax problem. Never raises.
    """
    problems: list[str] = []
    text = _as_text(value, problems)
    if text is None:
        return _refused(value, problems, None, _raw_excerpt(value))
    try:
        return _parse_payload(text, problems, None)
    except Exception as exc:  # pragma: no cover - the last guard of a never-raise contract
        problems.append(f"parser error {type(exc).__name__}: {exc}")
        return _broken(text, problems, None)


def parse_arc_authentication_results(value: str | bytes) -> AuthResults:
    """Parse an ARC-Authentication-Results value (`i=1; mx.example.net; spf=pass ...`).

    RFC 8617 §4.1.1: the AR payload prefixed by the instance tag. `instance` is None (with a
    problem) when the tag is missing or broken; the payload is still parsed.
    """
    problems: list[str] = []
    text = _as_text(value, problems)
    if text is None:
        head = _raw_excerpt(value, _ID_PEEK)
        m = _ARC_INSTANCE.match(head)
        payload = head[m.end() :] if m else head
        return _refused(payload, problems, int(m[1]) if m else None, _raw_excerpt(value))
    try:
        m = _ARC_INSTANCE.match(text)
        if m is None:
            problems.append("missing ARC instance tag `i=N;` at the start")
            return _parse_payload(text, problems, None)
        return _parse_payload(text[m.end() :], problems, int(m.group(1)), raw=text)
    except Exception as exc:  # pragma: no cover - the last guard of a never-raise contract
        problems.append(f"parser error {type(exc).__name__}: {exc}")
        return _broken(text, problems, None)


def _as_text(value: str | bytes, problems: list[str]) -> str | None:
    """The header as text, or None (with a problem) when it is too long to read."""
    if isinstance(value, bytes | bytearray):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            text = bytes(value).decode("utf-8", "replace")
    else:
        text = value
    if len(text) > MAX_HEADER_LENGTH:
        problems.append(f"header is {len(text)} characters, over {MAX_HEADER_LENGTH}; not read")
        return None
    if "\x00" in text:
        problems.append("contains NUL characters")
    if "\ufffd" in text:
        problems.append("contains U+FFFD: bytes that were not UTF-8 were replaced")
    return text


def _raw_excerpt(value: str | bytes, length: int = 200) -> str:
    head = value[:length]
    return head.decode("utf-8", "replace") if isinstance(head, bytes | bytearray) else head


def _refused(
    value: str | bytes, problems: list[str], instance: int | None, raw: str
) -> AuthResults:
    """A header over the length limit: no result read, its authserv-id read if it can be."""
    head = _raw_excerpt(value, _ID_PEEK)
    try:
        authserv_id, _, end = _read_authserv(head, [])
        known = end < len(head)  # the id ended inside the peek, so it was read whole
    except Malformed:
        authserv_id, known = None, False
    return AuthResults(
        authserv_id if known else None,
        problems=tuple(problems),
        raw=raw,
        instance=instance,
        unreadable=problems[0],
        id_unread=not known,
    )


def _broken(text: str, problems: list[str], instance: int | None) -> AuthResults:
    """A header whose authserv-id could not be read: nothing in it can be attributed."""
    return AuthResults(
        None,
        problems=tuple(problems),
        raw=text,
        instance=instance,
        unreadable=problems[-1],
        id_unread=True,
    )


def _parse_payload(
    text: str, problems: list[str], instance: int | None, raw: str | None = None
) -> AuthResults:
    comments: list[str] = []
    try:
        authserv_id, version, pos = _read_authserv(text, comments)
    except Malformed as exc:
        problems.append(f"{exc.message} at offset {exc.pos}")
        return _broken(raw or text, problems, instance)
    losses: list[str] = []
    results, none = _read_results(
        text, pos, authserv_id is not None, comments, problems=problems, losses=losses
    )
    if not results and not none and not problems:
        problems.append('no results: expected "none" or at least one method=result')
    if none and results:
        problems.append('"none" stands beside results; the results are kept')
        none = False
    return AuthResults(
        authserv_id,
        results=tuple(results),
        version=version,
        none=none,
        comments=tuple(comments),
        problems=tuple(problems),
        raw=raw or text,
        instance=instance,
        unreadable=losses[0] if losses else None,
    )


def _read_authserv(text: str, comments: list[str]) -> tuple[str | None, str | None, int]:
    """Read `[authserv-id [version]]`; an id-less header (Microsoft 365) returns None."""
    n = len(text)
    pos = skip_cfws(text, 0, comments)
    if pos >= n:
        raise Malformed("empty header", pos)
    if text[pos] == '"':
        authserv_id, pos = read_value(text, pos, "authserv-id")
    else:
        m = _VALUE.match(text, pos)
        if m is None:
            raise Malformed(f"expected authserv-id, found {text[pos]!r}", pos)
        held: list[str] = []
        after = skip_cfws(text, m.end(), held)
        if after < n and text[after] == "=" and _IDLESS_METHOD.fullmatch(m.group()):
            return None, None, pos
        authserv_id, pos = m.group(), after
        comments.extend(held)
    m = _DIGITS.match(text, pos)
    if m is not None:
        held = []
        after = skip_cfws(text, m.end(), held)
        if after >= n or text[after] == ";":
            comments.extend(held)
            return authserv_id, m.group(), after
    return authserv_id, None, skip_cfws(text, pos, comments)


def _read_results(
    text: str,
    pos: int,
    need_separator: bool,
    comments: list[str],
    *,
    problems: list[str],
    losses: list[str],
) -> tuple[list[ResInfo], bool]:
    """Read `;`-separated results until the end; broken ones are dropped and reported.

    Every problem that dropped text goes to `losses` as well as to `problems`.
    """
    n = len(text)
    results: list[ResInfo] = []
    none = False

    def lost(problem: str) -> None:
        problems.append(problem)
        losses.append(problem)

    while True:
        leading: list[str] = []  # comments before a method belong to its result
        try:
            pos = skip_cfws(text, pos, leading)
        except Malformed as exc:
            lost(f"{exc.message} at offset {exc.pos}")
            break
        if pos >= n or text[pos] == ";":
            comments.extend(leading)
        if pos >= n:
            break
        if text[pos] == ";":
            pos += 1
            need_separator = False
            continue
        if need_separator:
            lost(f"expected ';' after the authserv-id at offset {pos}")
            pos = skip_to_semicolon(text, pos)
            need_separator = False
            continue
        try:
            res, pos = _read_resinfo(text, pos, leading)
        except Malformed as exc:
            lost(f"{exc.message} at offset {exc.pos}")
            pos = skip_to_semicolon(text, max(exc.pos, pos))
            continue
        if res is None:
            none = True
        else:
            results.append(res)
    return results, none


def _read_resinfo(text: str, pos: int, comments: list[str]) -> tuple[ResInfo | None, int]:
    """Read one `method=result ...` up to the next `;` or the end; None for `none`.

    `comments` holds the comments already read before the method; more are appended.
    """
    n = len(text)
    method_version = None
    fast = _COMPACT_METHODSPEC.match(text, pos)
    if fast is not None:  # `method=result` without CFWS: the common form, one match
        method, result = fast.group(1).lower(), fast.group(2).lower()
        pos = fast.end()
    else:
        method, result, method_version, pos = _read_methodspec(text, pos, comments)
        if method == "none" and not result:
            return None, pos
    if pos < n and text[pos] in _CFWS_START:
        pos = skip_cfws(text, pos, comments)
    reason: str | None = None
    properties: list[Property] = []
    while pos < n and text[pos] != ";":
        fast = _COMPACT_PROPSPEC.match(text, pos)
        if fast is not None:  # `ptype.name=value` without CFWS or quotes: one match
            properties.append(Property(fast.group(1).lower(), fast.group(2).lower(), fast[3]))
            pos = fast.end()
        else:
            start = pos
            prop, pos = _read_property(text, pos, comments)
            if prop.ptype == "" and prop.name in RFC_RESULTS:
                raise Malformed(f"expected ';' before the next result '{prop.name}='", start)
            if prop.ptype == "" and prop.name == "reason":
                if reason is None:
                    reason = prop.value
            else:
                properties.append(prop)
        if pos < n and text[pos] in _CFWS_START:
            pos = skip_cfws(text, pos, comments)
    return (
        ResInfo(method, result, method_version, reason, tuple(properties), tuple(comments)),
        pos,
    )


def _read_methodspec(text: str, pos: int, comments: list[str]) -> tuple[str, str, str | None, int]:
    """The general `method [/ version] = result`, CFWS anywhere; result "" for `none`."""
    n = len(text)
    method, pos = read_keyword(text, pos, "method")
    pos = skip_cfws(text, pos, comments)
    method_version = None
    if pos < n and text[pos] == "/":
        pos = skip_cfws(text, pos + 1, comments)
        m = _DIGITS.match(text, pos)
        if m is None:
            raise Malformed(f"expected a version number after '{method}/'", pos)
        method_version = m.group()
        pos = skip_cfws(text, m.end(), comments)
    if pos >= n or text[pos] != "=":
        if method == "none" and method_version is None and (pos >= n or text[pos] == ";"):
            return method, "", None, pos
        raise Malformed(f"expected '=' after method '{method}'", pos)
    pos = skip_cfws(text, pos + 1, comments)
    result, pos = read_keyword(text, pos, f"a result for '{method}='")
    return method, result, method_version, pos


def _read_property(text: str, pos: int, comments: list[str]) -> tuple[Property, int]:
    """Read `ptype.name=value`, or a bare `name=value` (reason, provider extensions)."""
    n = len(text)
    first, pos = read_keyword(text, pos, "a property (ptype.name=value)")
    pos = skip_cfws(text, pos, comments)
    ptype = ""
    name = first
    if pos < n and text[pos] == ".":
        ptype = first
        pos = skip_cfws(text, pos + 1, comments)
        name, pos = _read_property_name(text, pos)
        pos = skip_cfws(text, pos, comments)
    if pos >= n or text[pos] != "=":
        raise Malformed(f"expected '=' after property '{ptype + '.' if ptype else ''}{name}'", pos)
    pos = skip_cfws(text, pos + 1, comments)
    if ptype:
        value, pos = read_pvalue(text, pos, f"a value for '{ptype}.{name}='")
    else:
        value, pos = read_pvalue(text, pos, f"a value for '{name}='")
    return Property(ptype, name, value), pos


_PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _read_property_name(text: str, pos: int) -> tuple[str, int]:
    m = _PROPERTY_NAME.match(text, pos)
    if m is None:
        raise Malformed("expected a property name after the ptype", pos)
    return m.group().lower(), m.end()
