"""Ingesting report inputs: bytes → documents → reports → reverse names → one transaction.

One input (a file, a mail) at a time, so memory is bounded by the largest input and its
expansion, never by how many there are. For each input:

1. Its bytes are expanded within the limits and each document parsed (`checks.reports`);
   any `Rejected` rejects the whole input with its code and reason.
2. Reports for domains we do not watch are dropped (`reports.unwatched_domain` when nothing
   else is left).
3. Reverse names of the new source IPs are looked up (cached, bounded, breaker on a dead
   resolver) before the transaction, so no DNS wait holds the database.
4. The input row and every report are written in ONE transaction; a report already stored
   counts as a duplicate. Only then may the caller acknowledge the input (move the mail).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from checks.base import Clock
from checks.reports.model import AggregateReport, Rejected, TlsReport
from checks.reports.parse import parse_document, parser_version
from checks.reports.rdns import ReverseNames
from checks.reports.unpack import Limits, documents
from monitor.storage.dmarc_reports import InputOutcome, ReportStore
from monitor.storage.engine import Database

__all__ = ["Ingestor"]

log = logging.getLogger("senderwatch.reports")


@dataclasses.dataclass
class Ingestor:
    """Stores inputs for the watched domains (subdomains included)."""

    db: Database
    watched: frozenset[str]
    clock: Clock
    limits: Limits = dataclasses.field(default_factory=Limits)
    names: ReverseNames | None = None
    parser: str = dataclasses.field(default="")

    def __post_init__(self) -> None:
        if not self.parser:
            self.parser = f"parsedmarc {parser_version()}"

    def ingest_file(self, path: Path) -> InputOutcome:
        """One file; a file larger than the input limit is rejected without being read."""
        origin = f"file:{path.name}"
        try:
            size = path.stat().st_size
            if size > self.limits.max_input:
                reason = f"{size} bytes; the limit is {self.limits.max_input}"
                return self.reject(origin, "", size, Rejected("reports.too_large", reason))
            data = path.read_bytes()
        except OSError as exc:
            return self.reject(origin, "", 0, Rejected("reports.unreadable", str(exc)))
        return self.ingest_bytes(origin, data)

    def ingest_bytes(self, origin: str, data: bytes) -> InputOutcome:
        """Expand, parse and store one input; never raises for bad input."""
        sha = hashlib.sha256(data).hexdigest()
        try:
            reports = [parse_document(doc) for doc in documents(data, self.limits)]
            reports = self._watched(reports)
        except Rejected as exc:
            return self.reject(origin, sha, len(data), exc)
        names = self._names(reports)
        return self._store(InputOutcome(origin, sha, len(data), "stored"), reports, names)

    def reject(self, origin: str, sha: str, size: int, exc: Rejected) -> InputOutcome:
        """Record an input that is no storable report, with its reason."""
        outcome = InputOutcome(origin, sha, size, "rejected", exc.code, exc.message)
        with self.db.transaction() as session:
            ReportStore(session).add_input(outcome, received_at=self.clock(), parser=self.parser)
        log.info("report input %s rejected: %s", origin, exc)
        return outcome

    # -- steps -----------------------------------------------------------------------------
    def _is_watched(self, domain: str) -> bool:
        return any(domain == w or domain.endswith("." + w) for w in self.watched)

    def _watched(
        self, reports: Iterable[AggregateReport | TlsReport]
    ) -> list[AggregateReport | TlsReport]:
        kept: list[AggregateReport | TlsReport] = []
        seen: list[str] = []
        for report in reports:
            if isinstance(report, AggregateReport):
                seen.append(report.domain)
                if self._is_watched(report.domain):
                    kept.append(report)
            else:
                seen += [p.domain for p in report.policies]
                policies = tuple(p for p in report.policies if self._is_watched(p.domain))
                if policies:
                    kept.append(dataclasses.replace(report, policies=policies))
        if not kept:
            domains = ", ".join(sorted(set(seen))) or "none"
            raise Rejected("reports.unwatched_domain", f"no watched domain in it: {domains}")
        return kept

    def _names(self, reports: list[AggregateReport | TlsReport]) -> dict[str, str | None]:
        if self.names is None:
            return {}
        ips = [
            r.source_ip for rep in reports if isinstance(rep, AggregateReport) for r in rep.records
        ]
        return self.names.names(ips)

    def _store(
        self,
        outcome: InputOutcome,
        reports: list[AggregateReport | TlsReport],
        names: dict[str, str | None],
    ) -> InputOutcome:
        now = self.clock()
        stored = 0
        with self.db.transaction() as session:
            store = ReportStore(session)
            input_id = store.add_input(outcome, received_at=now, parser=self.parser)
            for report in reports:
                if isinstance(report, AggregateReport):
                    stored += store.add_aggregate(report, names, input_id=input_id, now=now)
                else:
                    stored += store.add_tls(report, input_id=input_id, now=now)[0]
            final = "stored" if stored else "duplicate"
            store.set_input_outcome(input_id, final, stored)
        log.info("report input %s: %s (%d reports)", outcome.origin, final, stored)
        return dataclasses.replace(outcome, outcome=final, reports=stored)
