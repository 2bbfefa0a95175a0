"""Pure parser for one DMARC record (RFC 7489 §6.3, RFC 9989 §4.7-4.8).

Why our own parser rather than `checkdmarc.dmarc.parse_dmarc_record`: that function resolves
report destinations with its own resolver while parsing, ignores `pct`, `rf` and `ri` without
checking their values (RFC 7489 receivers still honour `pct`), and names errors only in English
sentences. We keep checkdmarc for the pure parts (version rule, report-URI syntax, allowed
values) through `_checkdmarc`, and raise errors that carry the tag and value at fault.
"""

from __future__ import annotations

import dataclasses
import re

from checks.dns import _checkdmarc
from checks.dns._checkdmarc import RecordRejected, ReportUri
from checks.dns._taglist import Tag, TagListError, split_tags
from checks.dns.resolver import to_alabel

__all__ = [
    "POLICY_RANK",
    "DmarcRecord",
    "DmarcSyntaxError",
    "parse_dmarc_record",
]

POLICY_RANK = {"none": 0, "quarantine": 1, "reject": 2}
KNOWN_TAGS = frozenset(
    {"v", "p", "sp", "np", "pct", "t", "psd", "adkim", "aspf", "rua", "ruf", "fo", "rf", "ri"}
)
REMOVED_IN_RFC9989 = ("pct", "rf", "ri")
_ALIGNMENT = frozenset({"r", "s"})
_FLAG = frozenset({"y", "n"})
_PSD = frozenset({"y", "n", "u"})
_RF_TOKEN = re.compile(r"[a-z0-9]+(?::[a-z0-9]+)*")


class DmarcSyntaxError(TagListError):
    """The record cannot be used; `.tag`, `.value` and `.reason` say where and why."""


@dataclasses.dataclass(frozen=True, slots=True)
class DmarcRecord:
    """A valid DMARC record. Explicit tags as published; `effective_*` apply the defaults."""

    text: str
    p: str | None = None
    sp: str | None = None
    np: str | None = None
    pct: int | None = None
    t: str = "n"
    psd: str = "u"
    adkim: str = "r"
    aspf: str = "r"
    fo: str = "0"
    rf: str | None = None
    ri: int | None = None
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    explicit: tuple[str, ...] = ()
    unknown: tuple[Tag, ...] = ()

    @property
    def effective_p(self) -> str:
        """`p`, or "none" when absent (RFC 9989 §4.7; RFC 7489 §6.6.3 step 6 with a rua)."""
        return self.p or "none"

    @property
    def effective_sp(self) -> str:
        """Policy for existing subdomains: `sp`, else `p`."""
        return self.sp or self.effective_p

    @property
    def effective_np(self) -> str:
        """Policy for non-existent subdomains: `np`, else `sp`, else `p` (RFC 9989 §4.7)."""
        return self.np or self.effective_sp

    @property
    def effective_pct(self) -> int:
        return 100 if self.pct is None else self.pct

    @property
    def removed_tags(self) -> tuple[str, ...]:
        """Tags RFC 9989 removed that this record still publishes."""
        return tuple(tag for tag in REMOVED_IN_RFC9989 if tag in self.explicit)


def _bad(tag: str, value: str, reason: str, why: str) -> DmarcSyntaxError:
    return DmarcSyntaxError(tag, value, reason, f"{tag}={value}: {why}")


def _enum(tag: str, value: str, allowed: frozenset[str]) -> str:
    lowered = value.lower()
    if lowered not in allowed:
        raise _bad(tag, value, "invalid_value", f"must be one of {', '.join(sorted(allowed))}")
    return lowered


def _integer(tag: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise _bad(tag, value, "invalid_value", f"must be an integer from {low} to {high}")
    return int(value)


def _fo(value: str) -> str:
    options = [part.strip().lower() for part in value.split(":")]
    allowed = _checkdmarc.dmarc_tag_values("fo")
    if any(option not in allowed for option in options) or len(set(options)) != len(options):
        raise _bad("fo", value, "invalid_value", "must be a colon list of 0, 1, d, s")
    if "0" in options and "1" in options:
        raise _bad("fo", value, "invalid_value", "0 and 1 exclude each other (RFC 9989 §4.7)")
    return ":".join(options)


def _valid_host(host: str) -> bool:
    """A destination host that can be asked about: labels of 1-63 octets, 253 in all."""
    try:
        alabel = to_alabel(host)
    except (UnicodeError, ValueError):
        return False
    labels = alabel.split(".")
    return len(alabel) <= 253 and all(0 < len(label) <= 63 for label in labels)


def _uris(tag: str, value: str) -> tuple[ReportUri, ...]:
    uris = []
    for part in value.split(","):
        try:
            uri = _checkdmarc.parse_report_uri(tag, part)
        except RecordRejected as exc:
            raise _bad(tag, exc.value, "invalid_value", "not a valid report URI") from None
        if uri.host and not _valid_host(uri.host):
            raise _bad(tag, part.strip(), "invalid_value", "the destination host is not a name")
        uris.append(uri)
    return tuple(uris)


def _value_fields(tags: dict[str, str]) -> dict[str, object]:
    """Validate and normalise each known tag's value (case-insensitive literals lowered)."""
    policies = _checkdmarc.dmarc_tag_values("p")
    fields: dict[str, object] = {}
    for tag in ("p", "sp", "np"):
        if tag in tags:
            fields[tag] = _enum(tag, tags[tag], policies)
    enums = {"t": _FLAG, "psd": _PSD, "adkim": _ALIGNMENT, "aspf": _ALIGNMENT}
    for tag, allowed in enums.items():
        if tag in tags:
            fields[tag] = _enum(tag, tags[tag], allowed)
    if "pct" in tags:
        fields["pct"] = _integer("pct", tags["pct"], 0, 100)
    if "ri" in tags:
        fields["ri"] = _integer("ri", tags["ri"], 0, 2**32 - 1)
    if "rf" in tags:
        if not _RF_TOKEN.fullmatch(tags["rf"].lower()):
            raise _bad("rf", tags["rf"], "invalid_value", "must be a colon list of formats")
        fields["rf"] = tags["rf"].lower()
    if "fo" in tags:
        fields["fo"] = _fo(tags["fo"])
    for tag in ("rua", "ruf"):
        if tag in tags:
            fields[tag] = _uris(tag, tags[tag])
    return fields


def parse_dmarc_record(text: str) -> DmarcRecord:
    """Parse one DMARC record.

    Unknown tags are kept in `unknown` and otherwise ignored (RFC 9989 §4.8). Tags may come
    in any order after `v`, and a trailing `;` is fine.

    Raises:
        DmarcSyntaxError: the record is unusable; the error names the tag and value.
    """
    try:
        tags = split_tags(text)
    except TagListError as exc:
        raise DmarcSyntaxError(exc.tag, exc.value, exc.reason, str(exc)) from None
    if not tags or tags[0].name != "v":
        first = tags[0] if tags else Tag("v", "")
        raise _bad(first.name, first.value, "version_not_first", "v=DMARC1 must come first")
    if tags[0].value != "DMARC1":
        raise _bad("v", tags[0].value, "invalid_value", "the version must be exactly DMARC1")
    known = {tag.name: tag.value for tag in tags[1:] if tag.name in KNOWN_TAGS}
    fields = _value_fields(known)
    return DmarcRecord(
        text=text,
        explicit=tuple(known),
        unknown=tuple(tag for tag in tags[1:] if tag.name not in KNOWN_TAGS),
        **fields,  # type: ignore[arg-type]
    )
