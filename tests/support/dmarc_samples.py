"""DMARC aggregate and TLS-RPT samples for the report tests, in every wrapping receivers use.

The XML and JSON files under tests/corpus/reports/ are written from the RFC 7489 appendix C
schema and RFC 9990's namespaced form; this module packs them the way big receivers send
them (Google: zip; Microsoft, Yahoo: gzip; some: bare XML; inside a mail or not) and builds
the hostile inputs (entity expansion, external entities, bombs, truncation).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "reports"
DOMAIN = "reports-lab.test"


def sample(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def google() -> bytes:
    return sample("google-rfc7489.xml")


def microsoft() -> bytes:
    return sample("microsoft-rfc9990.xml")


def tlsrpt() -> bytes:
    return sample("tlsrpt.json")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zipped(data: bytes, name: str = "report.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


def report_mail(
    attachment: bytes,
    filename: str,
    content_type: str = "application/gzip",
    *,
    sender: str = "noreply-dmarc-support@google.test",
    to: str = "dmarc@reports-lab.test",
    nested: bool = False,
) -> bytes:
    """A report mail as receivers send it: a prose part and the report attached (`nested`:
    inside an attached message/rfc822, as Google sometimes does)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"Report Domain: {DOMAIN} Submitter: google.com Report-ID: <{filename}>"
    msg.set_content("This is an aggregate report from google.com.\n")
    maintype, _, subtype = content_type.partition("/")
    if nested:
        inner = EmailMessage()
        inner["From"] = sender
        inner["Subject"] = "inner"
        inner.set_content("see attachment")
        inner.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
        msg.add_attachment(inner)
    else:
        msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def with_report_id(xml: bytes, report_id: str, org: str | None = None) -> bytes:
    """The Google sample under another report id (and reporter)."""
    out = xml.replace(
        b"<report_id>4317865120931726845</report_id>",
        f"<report_id>{report_id}</report_id>".encode(),
    )
    if org is not None:
        out = out.replace(
            b"<org_name>google.com</org_name>", f"<org_name>{org}</org_name>".encode()
        )
    return out


def shifted(xml: bytes, begin: int, end: int) -> bytes:
    """The Google sample over another date range."""
    return xml.replace(b"<begin>1767225600</begin>", f"<begin>{begin}</begin>".encode()).replace(
        b"<end>1767311999</end>", f"<end>{end}</end>".encode()
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feedback><report_metadata><org_name>&xxe;</org_name><report_id>1</report_id>
<date_range><begin>1767225600</begin><end>1767311999</end></date_range></report_metadata>
<policy_published><domain>reports-lab.test</domain><p>reject</p></policy_published></feedback>
"""


def gzip_bomb(expanded: int) -> bytes:
    """A gzip of `expanded` zero bytes (about 1000:1)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as stream:
        block = b"\0" * (1024 * 1024)
        for _ in range(expanded // len(block)):
            stream.write(block)
    return out.getvalue()


def zip_bomb(expanded: int) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("report.xml", "w", force_zip64=True) as stream,
    ):
        block = b"<" + b" " * (1024 * 1024 - 1)
        for _ in range(expanded // len(block)):
            stream.write(block)
    return out.getvalue()
