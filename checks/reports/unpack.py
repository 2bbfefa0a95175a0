"""From one input (a file, a mail) to the report documents inside it, in bounded memory.

parsedmarc reads and decompresses whole inputs with no cap (a 1 MB zip can expand to
gigabytes), so expansion happens here, before any byte reaches it:

1. The kind is judged by magic bytes (`detect`).
2. gzip is inflated in chunks with `zlib`; a stream that ends early is `truncated_gzip`.
3. zip members are read in chunks; more than `max_members`, or a member that is itself a
   zip, is refused. Sizes declared in the zip directory are not trusted: the bytes read are
   counted.
4. A mail is walked part by part (attached `message/rfc822` too, as Google nests them);
   each leaf part is decoded and judged by its bytes; parts that are no report (the prose
   "this is a DMARC report" body) are skipped.
5. Every byte produced counts against ONE budget per input (`max_expanded`): the first byte
   past it stops the work with `reports.expands_too_far`.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
import zlib
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Literal

from checks.reports.detect import detect
from checks.reports.model import Rejected

__all__ = ["Document", "Limits", "documents"]

_CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one input.

    Attributes:
        max_input: bytes of one input as read (a file, a mail).
        max_expanded: bytes all its documents may expand to, together.
        max_members: documents in one zip, and report parts in one mail.
    """

    max_input: int = 25 * 1024 * 1024
    max_expanded: int = 100 * 1024 * 1024
    max_members: int = 20


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    """One report document: aggregate XML or TLS-RPT JSON, already expanded."""

    kind: Literal["xml", "json"]
    data: bytes
    wrapping: str  # how it came: "xml", "gzip", "zip", "mail/gzip", ...


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.max_expanded

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise Rejected(
                "reports.expands_too_far",
                f"expands past the limit of {self.limits.max_expanded} bytes",
            )


def documents(data: bytes, limits: Limits | None = None) -> list[Document]:
    """The report documents in one input.

    Raises:
        Rejected: too large, a bomb, broken compression, or no report inside.
    """
    limits = limits or Limits()
    if len(data) > limits.max_input:
        raise Rejected("reports.too_large", f"{len(data)} bytes; the limit is {limits.max_input}")
    budget = _Budget(limits)
    kind = detect(data)
    if kind == "mail":
        found = _from_mail(data, budget)
        if not found:
            raise Rejected("reports.no_report_in_mail", "the mail carries no report part")
        return found
    return _from_blob(data, budget, "")


def _from_blob(data: bytes, budget: _Budget, via: str, depth: int = 0) -> list[Document]:
    kind = detect(data)
    label = f"{via}/{kind}" if via else kind
    if kind in ("xml", "json"):
        return [Document(kind, data, label)]
    if depth >= 2:
        raise Rejected("reports.nested_archive", f"archive nested too deep ({label})")
    if kind == "gzip":
        return _from_blob(_gunzip(data, budget), budget, label, depth + 1)
    if kind == "zip":
        found: list[Document] = []
        for member in _unzip(data, budget):
            if detect(member) == "zip":
                raise Rejected("reports.nested_archive", "a zip inside a zip")
            found += _from_blob(member, budget, label, depth + 1)
        return found
    raise Rejected("reports.not_a_report", "neither XML, JSON, gzip, zip nor a mail")


def _gunzip(data: bytes, budget: _Budget) -> bytes:
    """Inflate gzip members in chunks, never past the budget."""
    out = io.BytesIO()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        chunk_in = rest
        try:
            while chunk_in:
                piece = inflater.decompress(chunk_in, _CHUNK)
                budget.take(len(piece))
                out.write(piece)
                chunk_in = inflater.unconsumed_tail
            while not inflater.eof:
                piece = inflater.decompress(b"", _CHUNK)
                if not piece:
                    break
                budget.take(len(piece))
                out.write(piece)
        except zlib.error as exc:
            raise Rejected("reports.bad_gzip", f"not valid gzip: {exc}") from None
        if not inflater.eof:
            raise Rejected("reports.truncated_gzip", "the gzip stream ends before its end marker")
        rest = inflater.unused_data
        if not rest.startswith(b"\x1f\x8b"):
            break  # trailing padding after the last member is ignored, as gzip(1) does
    return out.getvalue()


def _unzip(data: bytes, budget: _Budget) -> list[bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Rejected("reports.bad_zip", f"not a readable zip: {exc}") from None
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > budget.limits.max_members:
            raise Rejected(
                "reports.too_many_members",
                f"{len(members)} files in the zip; the limit is {budget.limits.max_members}",
            )
        found = []
        for info in members:
            out = io.BytesIO()
            try:
                with archive.open(info) as stream:
                    while piece := stream.read(_CHUNK):
                        budget.take(len(piece))
                        out.write(piece)
            except Rejected:
                raise
            except (zipfile.BadZipFile, zlib.error, RuntimeError, EOFError, OSError) as exc:
                raise Rejected("reports.bad_zip", f"{info.filename!r}: {exc}") from None
            found.append(out.getvalue())
    return found


def _from_mail(data: bytes, budget: _Budget) -> list[Document]:
    message = BytesParser(policy=compat32).parsebytes(data)
    found: list[Document] = []
    parts = 0
    for part in _leaves(message):
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or detect(payload) in ("unknown", "mail"):
            continue
        parts += 1
        if parts > budget.limits.max_members:
            raise Rejected("reports.too_many_members", "too many report parts in one mail")
        try:
            found += _from_blob(payload, budget, "mail")
        except Rejected as exc:
            if exc.code in {"reports.not_a_report"}:
                continue
            raise
    return found


def _leaves(message: Message) -> list[Message]:
    """Leaf parts, attached messages included (`walk` descends into message/rfc822)."""
    return [part for part in message.walk() if not part.is_multipart()]
