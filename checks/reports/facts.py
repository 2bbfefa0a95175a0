"""Plain facts read back from stored reports: what the figures and alert rules work on.

Defined here, beside the report types, so that `monitor.storage` (which reads them) and the
pure `monitor.policy` modules (which judge them) share them without policy importing storage.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

__all__ = ["RecordFact", "ReporterActivity", "ReporterTotals", "SourceTotals", "TlsFact"]


@dataclasses.dataclass(frozen=True, slots=True)
class RecordFact:
    """One stored record with what the figures need of its report."""

    domain: str
    org_name: str
    begin: dt.datetime
    end: dt.datetime
    source_ip: str
    source_name: str | None
    count: int
    dkim_aligned: bool
    spf_aligned: bool
    disposition: str

    @property
    def dmarc_pass(self) -> bool:
        return self.dkim_aligned or self.spf_aligned


@dataclasses.dataclass(frozen=True, slots=True)
class SourceTotals:
    """One source IP's records for one domain over a period, summed by the database: a
    week of 50 domains is tens of thousands of records, and the figures need only sums."""

    domain: str
    source_ip: str
    source_name: str | None
    messages: int
    dmarc_pass: int
    spf_aligned: int
    dkim_aligned: int


@dataclasses.dataclass(frozen=True, slots=True)
class ReporterTotals:
    """One reporter's reports for one domain over a period."""

    domain: str
    org_name: str
    reports: int
    messages: int


@dataclasses.dataclass(frozen=True, slots=True)
class ReporterActivity:
    """One reporter's reports for a domain since some time."""

    domain: str
    org_name: str
    last_end: dt.datetime
    messages: int


@dataclasses.dataclass(frozen=True, slots=True)
class TlsFact:
    """One TLS report policy with one of its failure types (None: the totals row)."""

    domain: str
    org_name: str
    begin: dt.datetime
    successful: int
    failed: int
    result_type: str | None
    count: int
