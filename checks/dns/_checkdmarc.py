"""The one door to checkdmarc (pinned to 6.0.x in pyproject.toml).

What we take from checkdmarc, and why only that (measured on our zones; see docs/dns-checks.md):

* its record *parsers* for MTA-STS (`parse_mta_sts_record`) and TLS-RPT
  (`parse_smtp_tls_reporting_record`): pure functions that follow the RFC grammars closely;
* for DMARC, the pieces that are pure: the version-tag rule of RFC 9989 §4.8
  (`_is_dmarc_record`), the report-URI parser (`parse_dmarc_report_uri`) and the table of
  allowed tag values (`dmarc_tags`).

What we do not take: any function that does DNS. `parse_dmarc_record` resolves rua hosts with
its own resolver and turns a timeout into "destination not authorised" or "no MX", the false
alarm class of checkdmarc #90; it also skips `pct`/`rf`/`ri` without checking them and reports
errors as English sentences only. Our resolver fetches every record, `_dmarc_record` parses
DMARC, and this module maps checkdmarc's exceptions and warnings to our stable codes.

checkdmarc keeps a module-level DNS cache (`checkdmarc.utils.DNS_CACHE`, 30 minutes) that would
hide a changed record between two runs. Importing this module replaces it with a cache that
never stores anything, so no code path (ours or a future one) can read a stale answer.

Exception tree:
    RecordRejected(ValueError)   checkdmarc refused a record or URI; `.tag`, `.value` and
                                 `.reason` say where and why, `.library_message` is its prose
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, NoReturn

import checkdmarc
import checkdmarc.dmarc
import checkdmarc.mta_sts
import checkdmarc.smtp_tls_reporting
import checkdmarc.utils

__all__ = [
    "CHECKDMARC_VERSION",
    "Note",
    "ParsedRecord",
    "RecordRejected",
    "ReportUri",
    "disable_dns_cache",
    "dmarc_tag_values",
    "is_dmarc_record",
    "parse_mta_sts_record",
    "parse_report_uri",
    "parse_tlsrpt_record",
    "versions",
]

CHECKDMARC_VERSION: str = checkdmarc.__version__


def versions() -> dict[str, str]:
    """The `versions` entry of a result that relays checkdmarc verdicts."""
    return {"checkdmarc": CHECKDMARC_VERSION}


class _NeverCache(MutableMapping[Any, Any]):
    """A mapping that stores nothing, so checkdmarc's lookups always go to DNS.

    checkdmarc reads and writes its cache only when it is its own cache class
    (`isinstance`/`type(...) is` checks) or through `get` and item assignment; a plain
    mapping that forgets every write satisfies all of them, without importing the cache
    library checkdmarc happens to use.
    """

    def __getitem__(self, key: Any) -> NoReturn:
        raise KeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        return None

    def __delitem__(self, key: Any) -> None:
        return None

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


def disable_dns_cache() -> None:
    """Replace checkdmarc's module-level DNS cache with one that never stores (idempotent)."""
    if not isinstance(checkdmarc.utils.DNS_CACHE, _NeverCache):
        checkdmarc.utils.DNS_CACHE = _NeverCache()


disable_dns_cache()


class RecordRejected(ValueError):
    """checkdmarc refused a record or a URI.

    Attributes:
        tag: the tag at fault ("" when the fault is not in one tag).
        value: the offending value ("" when none).
        reason: stable slug: "invalid_value", "missing_tag", "malformed", "syntax".
        library_message: checkdmarc's own sentence, for humans only (never a code).
    """

    def __init__(self, tag: str, value: str, reason: str, library_message: str) -> None:
        self.tag = tag
        self.value = value
        self.reason = reason
        self.library_message = library_message
        super().__init__(f"{tag or 'record'}: {reason}: {library_message}")


@dataclasses.dataclass(frozen=True, slots=True)
class Note:
    """A non-fatal remark of checkdmarc's, mapped to a stable code suffix."""

    code: str
    tag: str
    library_message: str


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A record checkdmarc accepted: its tags (first value wins) and its remarks."""

    tags: Mapping[str, str]
    notes: tuple[Note, ...]
    rua: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class ReportUri:
    """One DMARC report URI (`rua`/`ruf` entry)."""

    scheme: str
    address: str
    size_limit: str | None

    @property
    def host(self) -> str:
        """The destination host whose authorisation RFC 7489 §7.1 asks about."""
        if self.scheme == "mailto":
            return self.address.rpartition("@")[2].strip().rstrip(".").lower()
        return (urllib.parse.urlsplit(self.address).hostname or "").rstrip(".").lower()

    @property
    def normalised(self) -> str:
        """Lower-case `scheme:address` without the obsolete `!size` suffix (for drift)."""
        if self.scheme == "mailto":
            return f"mailto:{self.address}".lower()
        return self.address.lower()


# --- DMARC pieces -------------------------------------------------------------------------


def is_dmarc_record(text: str) -> bool:
    """True when a TXT record starts with the DMARC version tag (RFC 9989 §4.8 ABNF)."""
    return bool(checkdmarc.dmarc._is_dmarc_record(text))


def dmarc_tag_values(tag: str) -> frozenset[str]:
    """The values checkdmarc allows for a DMARC tag with an enumerated value set."""
    entry: Mapping[str, Any] = checkdmarc.dmarc.dmarc_tags.get(tag, {})
    return frozenset(str(v) for v in entry.get("values", {}))


def parse_report_uri(tag: str, uri: str) -> ReportUri:
    """Parse one `rua`/`ruf` URI.

    Raises:
        RecordRejected: checkdmarc does not accept it as a DMARC report URI.
    """
    try:
        parsed = checkdmarc.dmarc.parse_dmarc_report_uri(uri)
    except checkdmarc.dmarc.InvalidDMARCReportURI as exc:
        raise RecordRejected(tag, uri.strip(), "invalid_value", str(exc)) from None
    return ReportUri(
        scheme=str(parsed["scheme"]).lower(),
        address=str(parsed["address"]),
        size_limit=parsed["size_limit"],
    )


# --- MTA-STS and TLS-RPT ------------------------------------------------------------------

_STS_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_TLSRPT_URI = re.compile(r"(?:mailto:[^\s,;]+@[^\s,;]+|https://[^\s,;]+)")

_NOTE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'does not begin with the literal "v='), "version_whitespace"),
    (re.compile(r"^Unknown (?:MTA-STS )?tag (\S+) was ignored"), "unknown_tag"),
    (re.compile(r"has duplicate (\S+) tags"), "duplicate_tag"),
    (re.compile(r"contains more than one (\S+) tag"), "duplicate_tag"),
)


def _notes(warnings: list[str]) -> tuple[Note, ...]:
    """Map checkdmarc's warning sentences to codes; unknown sentences keep a generic code."""
    notes = []
    for text in warnings:
        for pattern, code in _NOTE_PATTERNS:
            match = pattern.search(text)
            if match:
                tag = match.group(1) if match.groups() else ""
                notes.append(Note(code, tag, text))
                break
        else:
            notes.append(Note("library_note", "", text))
    return tuple(notes)


def _locate(
    text: str, required: tuple[str, ...], valid: Mapping[str, Callable[[str], bool]]
) -> tuple[str, str, str]:
    """Name the field checkdmarc most likely refused: (tag, value, reason)."""
    seen: set[str] = set()
    for raw_field in text.split(";")[1:]:
        field = raw_field.strip(" \t")
        if not field:
            continue
        name, eq, value = field.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value or " " in value:
            return (name or field, value, "malformed")
        seen.add(name)
        check = valid.get(name)
        if check is not None and not check(value):
            return (name, value, "invalid_value")
    for name in required:
        if name not in seen:
            return (name, "", "missing_tag")
    return ("", "", "syntax")


def parse_mta_sts_record(text: str) -> ParsedRecord:
    """Parse an `_mta-sts` TXT record (RFC 8461 §3.1) with checkdmarc.

    Raises:
        RecordRejected: the record is not valid; `.tag` names the field.
    """
    try:
        parsed = checkdmarc.mta_sts.parse_mta_sts_record(text)
    except checkdmarc.mta_sts.InvalidSTSTagValue as exc:
        tag, value, _ = _locate(text, ("id",), {"id": _valid_id})
        raise RecordRejected(
            "id", value if tag == "id" else "", "invalid_value", str(exc)
        ) from None
    except checkdmarc.mta_sts.MTASTSError as exc:
        tag, value, reason = _locate(text, ("id",), {"id": _valid_id})
        raise RecordRejected(tag, value, reason, str(exc)) from None
    return ParsedRecord(tags=dict(parsed["tags"]), notes=_notes(list(parsed["warnings"])))


def _valid_id(value: str) -> bool:
    return _STS_ID.fullmatch(value) is not None


def _valid_rua(value: str) -> bool:
    return all(_TLSRPT_URI.fullmatch(part.strip()) for part in value.split(","))


def parse_tlsrpt_record(text: str) -> ParsedRecord:
    """Parse an `_smtp._tls` TXT record (RFC 8460 §3) with checkdmarc.

    Raises:
        RecordRejected: the record is not valid; `.tag` names the field.
    """
    try:
        parsed = checkdmarc.smtp_tls_reporting.parse_smtp_tls_reporting_record(text)
    except checkdmarc.smtp_tls_reporting.SMTPTLSReportingError as exc:
        tag, value, reason = _locate(text, ("rua",), {"rua": _valid_rua})
        raise RecordRejected(tag, value, reason, str(exc)) from None
    tags = {name: entry["value"] for name, entry in parsed["tags"].items()}
    rua = tuple(str(uri) for uri in tags.pop("rua", []))
    return ParsedRecord(
        tags={k: str(v) for k, v in tags.items()},
        notes=_notes(list(parsed["warnings"])),
        rua=rua,
    )
