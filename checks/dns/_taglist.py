"""The `tag=value; tag=value` syntax shared by DKIM key records and DMARC records.

RFC 6376 §3.2 defines it for DKIM and RFC 7489 §6.4 / RFC 9989 §4.8 reuse its shape: tags are
separated by `;`, whitespace around names, `=` and values is insignificant, a trailing `;` is
allowed, and a tag that occurs twice makes the whole list invalid. Errors name the offending
tag and value so a user sees *what* to fix, not a position in a string (checkdmarc #234).
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["Tag", "TagListError", "split_tags"]

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_WSP = " \t\r\n"


@dataclasses.dataclass(frozen=True, slots=True)
class Tag:
    """One `name=value` pair: name lower-cased, value stripped of surrounding whitespace."""

    name: str
    value: str


class TagListError(ValueError):
    """A tag list that cannot be read.

    Attributes:
        tag: the tag name at fault (or the unreadable fragment when there is no name).
        value: the value at fault ("" when there is none).
        reason: a stable slug: "not_a_tag", "invalid_tag_name", "duplicate_tag" here; the
            record parsers add their own ("invalid_value", "missing_tag", ...).
    """

    def __init__(self, tag: str, value: str, reason: str, message: str) -> None:
        self.tag = tag
        self.value = value
        self.reason = reason
        super().__init__(message)


def split_tags(text: str) -> list[Tag]:
    """Split a tag list into tags, in order.

    Empty segments (a trailing `;`, or `;;`) are skipped: receivers accept them, and refusing
    `v=DMARC1;` was a long-standing false positive (checkdmarc #10, internet.nl #349).

    Raises:
        TagListError: a segment without `=`, a malformed tag name, or a duplicate tag.
    """
    tags: list[Tag] = []
    seen: set[str] = set()
    for raw_segment in text.split(";"):
        segment = raw_segment.strip(_WSP)
        if not segment:
            continue
        name, eq, value = segment.partition("=")
        name = name.strip(_WSP)
        value = value.strip(_WSP)
        if not eq:
            raise TagListError(segment, "", "not_a_tag", f"{segment!r} is not a tag=value pair")
        if not _TAG_NAME.fullmatch(name):
            raise TagListError(name, value, "invalid_tag_name", f"{name!r} is not a tag name")
        lowered = name.lower()
        if lowered in seen:
            raise TagListError(
                lowered, value, "duplicate_tag", f"tag {lowered!r} occurs more than once"
            )
        seen.add(lowered)
        tags.append(Tag(lowered, value))
    return tags
