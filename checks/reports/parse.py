"""The parsedmarc adapter: one report document in, our own types out.

parsedmarc is the field's parser (RFC 7489 and RFC 9990 aggregate XML, lenient about the
malformations real receivers send, and TLS-RPT JSON). It is used here only, in its offline
mode (no PTR lookups of its own, no downloads), and imported on first use: it is an optional
extra (`senderwatch[reports]`) and takes about 0.6 s to import.

What we do around it, and why:
- Any DTD is refused before parsedmarc sees the bytes (`reports.xml_doctype`). An aggregate
  report never needs one; entity expansion ("billion laughs") and external entities (XXE)
  both need one. parsedmarc 11 refuses DOCTYPEs too; this check keeps the guarantee when
  its behaviour changes.
- The date range is read as epoch seconds from the XML itself: parsedmarc turns it into a
  naive *local* time string, which would shift every range by the host's UTC offset.
- parsedmarc's timespan normalisation (splitting a report longer than 24 h into days) is
  switched off: records are stored as the receiver wrote them.
- Its exceptions, and any other error it raises on hostile input, become `Rejected` with
  the reason; nothing it raises crashes an ingest.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from checks.reports.model import (
    AggregateRecord,
    AggregateReport,
    AuthResult,
    ParserMissing,
    Rejected,
    TlsFailure,
    TlsPolicy,
    TlsReport,
)
from checks.reports.unpack import Document

__all__ = ["parse_document", "parser_version"]

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RANGE = re.compile(
    rb"<(?:\w+:)?date_range\b[^>]*>\s*<(?:\w+:)?begin>\s*(\d{1,12})\s*</(?:\w+:)?begin>\s*"
    rb"<(?:\w+:)?end>\s*(\d{1,12})\s*</(?:\w+:)?end>"
)
_NO_SPLIT_HOURS = 24.0 * 366 * 100
_config: Any = None


def _parsedmarc() -> Any:
    try:
        import parsedmarc
    except ImportError:
        raise ParserMissing from None
    return parsedmarc


def parser_version() -> str:
    """parsedmarc's version (recorded with each stored input)."""
    return str(getattr(_parsedmarc(), "__version__", "unknown"))


def parse_document(doc: Document) -> AggregateReport | TlsReport:
    """Parse one expanded document.

    Raises:
        Rejected: not a valid report (the reason says why).
        ParserMissing: parsedmarc is not installed.
    """
    if doc.kind == "json":
        return _tls(doc.data)
    return _aggregate(doc.data)


def _aggregate(data: bytes) -> AggregateReport:
    if _DTD.search(data):
        raise Rejected(
            "reports.xml_doctype",
            "the XML declares a DTD or entities (entity expansion or external entities); "
            "an aggregate report never needs one",
        )
    pm = _parsedmarc()
    global _config  # noqa: PLW0603 - one private parsedmarc cache set per process, not its global
    if _config is None:
        _config = pm.ParserConfig(offline=True, normalize_timespan_threshold_hours=_NO_SPLIT_HOURS)
    try:
        parsed = pm.parse_aggregate_report_xml(data, offline=True, config=_config)
    except pm.ParserError as exc:
        raise Rejected("reports.invalid_xml", _one_line(exc)) from None
    except Exception as exc:  # a third-party parser on hostile input
        raise Rejected("reports.parser_error", f"{type(exc).__name__}: {_one_line(exc)}") from None
    try:
        return _to_aggregate(parsed, data)
    except (KeyError, TypeError, ValueError) as exc:
        raise Rejected("reports.invalid_xml", f"incomplete report: {_one_line(exc)}") from None


def _to_aggregate(parsed: dict[str, Any], data: bytes) -> AggregateReport:
    meta = parsed["report_metadata"]
    published = parsed["policy_published"]
    begin, end = _range(data, meta)
    domain = _text(published.get("domain")).lower().rstrip(".")
    if not domain or not meta.get("org_name") or not meta.get("report_id"):
        raise Rejected("reports.invalid_xml", "missing org_name, report_id or policy domain")
    policy = {k: _opt(v) for k, v in published.items() if k != "domain"}
    namespace = parsed.get("xml_namespace") or ""
    rfc9990 = "dmarc-2.0" in namespace or parsed.get("xml_schema") == "2.0"
    schema = "rfc9990" if rfc9990 else "rfc7489"
    return AggregateReport(
        org_name=_text(meta["org_name"])[:200],
        report_id=_text(meta["report_id"])[:200],
        domain=domain[:253],
        begin=begin,
        end=end,
        email=_opt(meta.get("org_email")),
        policy=policy,
        schema=schema,
        records=tuple(_record(r) for r in parsed.get("records", ())),
    )


def _record(raw: dict[str, Any]) -> AggregateRecord:
    evaluated = raw.get("policy_evaluated") or {}
    ids = raw.get("identifiers") or {}
    auth_raw = raw.get("auth_results") or {}
    auth = tuple(
        AuthResult(
            "dkim",
            _text(a.get("domain")).lower(),
            _text(a.get("result")).lower(),
            selector=_opt(a.get("selector")),
        )
        for a in auth_raw.get("dkim") or ()
    ) + tuple(
        AuthResult(
            "spf",
            _text(a.get("domain")).lower(),
            _text(a.get("result")).lower(),
            scope=_opt(a.get("scope")),
        )
        for a in auth_raw.get("spf") or ()
    )
    reasons = tuple(
        _text(r.get("type")) for r in evaluated.get("policy_override_reasons") or () if r
    )
    return AggregateRecord(
        source_ip=_text((raw.get("source") or {}).get("ip_address")),
        count=int(raw.get("count") or 0),
        disposition=_text(evaluated.get("disposition")).lower() or "none",
        dkim_aligned=_text(evaluated.get("dkim")).lower() == "pass",
        spf_aligned=_text(evaluated.get("spf")).lower() == "pass",
        header_from=_text(ids.get("header_from")).lower(),
        envelope_from=_opt(ids.get("envelope_from")),
        envelope_to=_opt(ids.get("envelope_to")),
        auth=auth,
        override_reasons=reasons,
    )


def _range(data: bytes, meta: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    found = _RANGE.search(data)
    if found is None:
        raise Rejected("reports.invalid_xml", "no date_range with begin and end")
    begin, end = (dt.datetime.fromtimestamp(int(v), dt.UTC) for v in found.groups())
    if end < begin:
        raise Rejected("reports.invalid_xml", "date_range ends before it begins")
    return begin, end


def _tls(data: bytes) -> TlsReport:
    pm = _parsedmarc()
    try:
        json.loads(data)  # the stdlib first: a clear reason for broken JSON
    except (ValueError, RecursionError) as exc:
        raise Rejected("reports.invalid_json", _one_line(exc)) from None
    try:
        parsed = pm.parse_smtp_tls_report_json(data.decode("utf-8", errors="replace"))
    except pm.ParserError as exc:
        raise Rejected("reports.invalid_tls_report", _one_line(exc)) from None
    except Exception as exc:  # a third-party parser on hostile input
        raise Rejected("reports.parser_error", f"{type(exc).__name__}: {_one_line(exc)}") from None
    try:
        return TlsReport(
            org_name=_text(parsed["organization_name"])[:200],
            report_id=_text(parsed["report_id"])[:200],
            begin=_iso(parsed["begin_date"]),
            end=_iso(parsed["end_date"]),
            contact=_opt(parsed.get("contact_info")),
            policies=tuple(_tls_policy(p) for p in parsed.get("policies") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Rejected("reports.invalid_tls_report", f"incomplete: {_one_line(exc)}") from None


def _tls_policy(raw: dict[str, Any]) -> TlsPolicy:
    return TlsPolicy(
        domain=_text(raw["policy_domain"]).lower().rstrip("."),
        policy_type=_text(raw.get("policy_type")),
        successful=int(raw.get("successful_session_count") or 0),
        failed=int(raw.get("failed_session_count") or 0),
        failures=tuple(
            TlsFailure(
                result_type=_text(f.get("result_type")),
                count=int(f.get("failed_session_count") or 0),
                sending_mta_ip=_opt(f.get("sending_mta_ip")),
                receiving_mx_hostname=_opt(f.get("receiving_mx_hostname")),
                receiving_ip=_opt(f.get("receiving_ip")),
                reason_code=_opt(f.get("failure_reason_code")),
            )
            for f in raw.get("failure_details") or ()
        ),
    )


def _iso(value: Any) -> dt.datetime:
    """RFC 3339 from a TLS report; Microsoft omits the zone, which we read as UTC."""
    when = dt.datetime.fromisoformat(_text(value).replace("Z", "+00:00"))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _opt(value: Any) -> str | None:
    text = _text(value)
    return text[:255] or None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:400] or type(exc).__name__
