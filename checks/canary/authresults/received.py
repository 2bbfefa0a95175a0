"""Received headers (RFC 5321 §4.4, RFC 5322 §3.6.7): the receiving hop, its TLS, time and IP.

The canary wants three facts about the hop where the receiver took the message from the
sending side: was it TLS (`with ESMTPS`, `(version=TLS1_3 ...)`), when did it happen (for
latency), and which IP connected (for SPF explanations elsewhere). `parse_received` reads
one header; `find_receiving_hop` picks the right one among many:

1. Receivers prepend, so walk from the top.
2. The receiver's own headers form a run at the top: each `by` host is the receiver (equal
   to, or a subdomain of, a receiver name: a trusted authserv-id, or Microsoft's domains);
   headers without a `from` clause (internal hand-offs such as Gmail's `by 2002:...`) do not
   end the run. The border hop is the topmost header of that run whose `from` side is
   neither the receiver itself nor local: content filters re-injecting (`from localhost
   ... by mx`, Amavis) and internal relays (a private or loopback address) sit above it.
   Topmost, not lowest, because the sender writes below the border and can write a
   `Received: from x by mx.example.net` there; the lowest would let it move the border down
   and lift its own Authentication-Results above it. Only when every hop of the run is local
   (an all-internal path, or the loopback test lab) is the lowest of them the border.
3. If none matches (authserv-id unlike any host name), fall back to the topmost header with a
   `from` clause, and say so (`matched_by="fallback"`): position is evidence, not proof.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import ipaddress
import re
from collections.abc import Sequence

from checks.canary.authresults.tokens import Malformed, read_comment, skip_cfws

__all__ = ["ReceivedHop", "ReceivingHop", "find_receiving_hop", "parse_received"]

_CLAUSES = frozenset({"from", "by", "via", "with", "id", "for"})
_WORD = re.compile(r"[^\s();]+")
_TLS_PROTOCOL = re.compile(r"(?:E?SMTP|UTF8SMTP|LMTP|UTF8LMTP)SA?", re.IGNORECASE)
_TLS_VERSION = re.compile(r"\b(?:TLS ?v?(1(?:[._][0-3])?)|(SSLv3))\b", re.IGNORECASE)
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")


@dataclasses.dataclass(frozen=True, slots=True)
class ReceivedHop:
    """One parsed Received header.

    Attributes:
        raw: the header value as given.
        from_helo: the `from` clause's name (the client's HELO/EHLO), if any.
        from_host: the name the receiver found for the client (inside the `from` comment).
        ip: the connecting IP address (normalised), if written.
        by_host: the receiving host.
        protocol: the `with` value (`ESMTPS`, `Microsoft`, `HTTP`).
        tls: True when the protocol (RFC 3848 `...S`, `...SA`) or a comment says TLS.
        tls_version: `TLSv1.3`, `TLSv1.2`, ... when a comment names it.
        timestamp: the date after the final `;`, timezone-aware UTC.
        problems: what could not be read.
    """

    raw: str
    from_helo: str | None = None
    from_host: str | None = None
    ip: str | None = None
    by_host: str | None = None
    protocol: str | None = None
    tls: bool = False
    tls_version: str | None = None
    timestamp: dt.datetime | None = None
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "from_helo": self.from_helo,
            "from_host": self.from_host,
            "ip": self.ip,
            "by_host": self.by_host,
            "protocol": self.protocol,
            "tls": self.tls,
            "tls_version": self.tls_version,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "problems": list(self.problems),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ReceivingHop:
    """The hop chosen as the receiver's, with its position and how it was chosen."""

    index: int  # among the message's Received headers, 0 = topmost
    hop: ReceivedHop
    matched_by: str  # "receiver" (rule 2) or "fallback" (rule 3)


def parse_received(value: str) -> ReceivedHop:
    """Parse one Received header value. Never raises; problems are listed."""
    problems: list[str] = []
    try:
        clauses, date_text = _split_clauses(value)
    except Malformed as exc:
        return ReceivedHop(raw=value, problems=(f"{exc.message} at offset {exc.pos}",))
    from_words, from_comments = clauses.get("from", ([], []))
    with_words, _ = clauses.get("with", ([], []))
    all_comments = [c for _, comments in clauses.values() for c in comments]
    from_helo = from_words[0] if from_words else None
    ip, from_host = _client_address(from_helo, from_comments)
    protocol = with_words[0] if with_words else None
    tls_version = _tls_version(all_comments + with_words)
    tls = bool(protocol and _TLS_PROTOCOL.fullmatch(protocol)) or tls_version is not None
    timestamp = _timestamp(date_text, problems)
    by_words = clauses.get("by", ([], []))[0]
    return ReceivedHop(
        raw=value,
        from_helo=from_helo,
        from_host=from_host,
        ip=ip,
        by_host=by_words[0].rstrip(".").lower() if by_words else None,
        protocol=protocol,
        tls=tls,
        tls_version=tls_version,
        timestamp=timestamp,
        problems=tuple(problems),
    )


def find_receiving_hop(
    received: Sequence[str], receiver_names: Sequence[str]
) -> ReceivingHop | None:
    """Pick the receiver's border hop among the message's Received values (topmost first).

    Args:
        received: Received header values in message order.
        receiver_names: host names or domains that are the receiver (trusted authserv-ids,
            or Microsoft's domains for Microsoft 365).
    """
    names = tuple(n.lower().rstrip(".") for n in receiver_names if n)
    hops = [parse_received(value) for value in received]
    border = _border(hops, names)
    if border is not None:
        return ReceivingHop(border, hops[border], "receiver")
    for index, hop in enumerate(hops):
        if hop.from_helo is not None:
            return ReceivingHop(index, hop, "fallback")
    return None


def _border(hops: Sequence[ReceivedHop], names: tuple[str, ...]) -> int | None:
    """Index of the border hop in the receiver's run at the top (rule 2), or None."""
    first: int | None = None  # the topmost hop of the run (used when every `from` is the receiver)
    local: int | None = None  # the lowest hop of the run whose `from` side is local
    for index, hop in enumerate(hops):
        if hop.from_helo is None:
            continue  # an internal hand-off (`Received: by 2002:... with SMTP id`)
        if not _belongs(hop.by_host, names):
            break
        first = index if first is None else first
        if _belongs(hop.from_host, names) or _belongs(hop.from_helo, names):
            continue
        if not _is_local(hop):
            return index
        local = index
    return local if local is not None else first


_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
_LOCAL_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def _is_local(hop: ReceivedHop) -> bool:
    """The hop came from this machine or a private network: an internal hand-off."""
    if (hop.from_helo or "").lower().rstrip(".") in _LOCAL_NAMES:
        return True
    if (hop.from_host or "").lower() in _LOCAL_NAMES:
        return True
    if hop.ip is None:
        return False
    address = ipaddress.ip_address(hop.ip)
    return any(address.version == net.version and address in net for net in _LOCAL_NETS)


def _split_clauses(value: str) -> tuple[dict[str, tuple[list[str], list[str]]], str]:
    """Map clause keyword → (words, comments), plus the date text after the last `;`."""
    split = _last_semicolon(value)
    head, date_text = (value, "") if split < 0 else (value[:split], value[split + 1 :])
    clauses: dict[str, tuple[list[str], list[str]]] = {}
    current: tuple[list[str], list[str]] = ([], [])
    pos = 0
    n = len(head)
    while pos < n:
        pos = skip_cfws(head, pos, current[1])
        if pos >= n:
            break
        m = _WORD.match(head, pos)
        if m is None:  # a stray ")" or ";"
            pos += 1
            continue
        word = m.group()
        pos = m.end()
        if word.lower() in _CLAUSES and word.lower() not in clauses:
            current = ([], [])
            clauses[word.lower()] = current
        else:
            current[0].append(word)
    return clauses, date_text


_NOT_SPECIAL = re.compile(r"[^();]+")


def _last_semicolon(value: str) -> int:
    """Position of the last `;` outside comments (the date follows it), or -1."""
    sink: list[str] = []
    pos = 0
    last = -1
    n = len(value)
    while pos < n:
        c = value[pos]
        if c == "(":
            try:
                pos = read_comment(value, pos, sink)
            except Malformed:
                break
            continue
        if c == ";":
            last = pos
        elif c != ")":
            pos = _NOT_SPECIAL.match(value, pos).end()  # type: ignore[union-attr]
            continue
        pos += 1
    return last


def _client_address(helo: str | None, comments: list[str]) -> tuple[str | None, str | None]:
    """The connecting IP and the receiver's name for the client, from the `from` clause."""
    ip: str | None = None
    host: str | None = None
    candidates = [helo] if helo and helo.startswith("[") else []
    for text in candidates + comments:
        for m in _BRACKET_IP.finditer(text):
            ip = ip or _ip(m.group(1))
        for word in re.split(r"[\s()]+", text):
            if ip is None and (found := _ip(word.strip("[]"))):
                ip = found
            elif host is None and _looks_like_host(word):
                host = word.rstrip(".").lower()
    return ip, host


def _looks_like_host(word: str) -> bool:
    return "." in word and "=" not in word and not word.startswith("[") and _ip(word) is None


def _ip(text: str) -> str | None:
    if text.lower().startswith("ipv6:"):
        text = text[5:]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _tls_version(texts: list[str]) -> str | None:
    for text in texts:
        m = _TLS_VERSION.search(text)
        if m is not None:
            if m.group(2):
                return "SSLv3"
            digits = m.group(1).replace("_", ".")
            return f"TLSv{digits}" if "." in digits else f"TLSv{digits}.0"
    return None


def _timestamp(date_text: str, problems: list[str]) -> dt.datetime | None:
    comments: list[str] = []
    text = date_text.strip()
    if not text:
        problems.append("no date after ';'")
        return None
    try:
        pos = skip_cfws(text, 0, comments)
        text = re.sub(r"\([^()]*\)", " ", text[pos:]).strip()
        when = email.utils.parsedate_to_datetime(text)
    except (Malformed, TypeError, ValueError, IndexError, OverflowError):
        problems.append(f"unreadable date {date_text.strip()[:60]!r}")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _belongs(host: str | None, names: tuple[str, ...]) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == n or host.endswith("." + n) for n in names)
