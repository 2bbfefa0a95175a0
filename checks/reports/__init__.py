"""DMARC aggregate (RFC 7489 appendix C, RFC 9990) and SMTP TLS (RFC 8460) reports: reading.

A leaf like the rest of `checks`: bytes in, typed reports out; no database, no alerts.

    detect.py    what bytes are (zip, gzip, XML, JSON, a mail) by their first bytes only
    unpack.py    bounded gzip/zip expansion and mail attachment walking (bomb limits)
    parse.py     the parsedmarc adapter (offline mode, imported lazily) → our own types
    model.py     AggregateReport, AggregateRecord, TlsReport, TlsPolicy, TlsFailure,
                 Rejected (why an input is not stored)
    facts.py     RecordFact, ReporterActivity, TlsFact: stored facts the pure figures read
    rdns.py      reverse names of source IPs through our resolver, cached and bounded
    senders.py   which configured sender (or our own SPF) authorises a source IP
    mailbox.py   the rua= mailbox over IMAP (the canary IMAP reader with move and fetch)

Exception tree:
    Rejected          an input that is no storable report; `code` is a stable slug
                      (`reports.xml_entities`, `reports.too_large`, ...), `message` prose
    ParserMissing     parsedmarc is not installed (the `reports` extra)
"""

from checks.reports.model import (
    AggregateRecord,
    AggregateReport,
    ParserMissing,
    Rejected,
    TlsFailure,
    TlsPolicy,
    TlsReport,
)

__all__ = [
    "AggregateRecord",
    "AggregateReport",
    "ParserMissing",
    "Rejected",
    "TlsFailure",
    "TlsPolicy",
    "TlsReport",
]
