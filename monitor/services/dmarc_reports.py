"""DMARC aggregate and SMTP TLS reports: ingest, figures, alerts. The one API for the CLI
(`senderwatch reports ...`), the daemon's `reports` job and the weekly report.

    ingest(app, env=..., directory=..., files=...)    read inputs, store, then alert
    weekly_figures(app, week_start, domain=None)      the weekly report's "who sends as you"
    period_figures(app, start, end, domain=None)      the same for any period
    alert(app, deliver=True)                          apply the report rules to the alerts

Nothing here prints or exits; problems a person must fix are `UserFacingError`s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checks.reports.model import ParserMissing
from monitor.app import App
from monitor.engine.alerting import AlertingOutcome
from monitor.errors import ExitCode, UsageError, UserFacingError
from monitor.policy.report_figures import PeriodFigures
from monitor.storage.dmarc_reports import InputOutcome

if TYPE_CHECKING:
    from monitor.engine.report_ingest import Ingestor

__all__ = [
    "IngestResult",
    "ReportsUnavailable",
    "alert",
    "ingest",
    "parse_week",
    "period_figures",
    "weekly_figures",
]

REPORTER_HORIZON = dt.timedelta(days=30)


class ReportsUnavailable(UserFacingError):
    """parsedmarc (the `reports` extra) is not installed."""

    exit_code = ExitCode.CONFIG


@dataclasses.dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest did: each input's outcome and the alerting that followed."""

    inputs: tuple[InputOutcome, ...]
    alerting: AlertingOutcome | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for i in self.inputs if i.outcome == outcome)

    @property
    def reports(self) -> int:
        return sum(i.reports for i in self.inputs)


def ingest(
    app: App,
    *,
    env: str | None = None,
    directory: Path | None = None,
    files: Sequence[Path] = (),
    alerts: bool = True,
    deliver: bool = True,
    wait: float | None = None,
) -> IngestResult:
    """Read reports from environment `env`'s rua= mailbox, a directory, or files; store
    them; then apply the report alert rules (with `deliver`, a bounded delivery attempt).

    A mailbox message is moved to the processed or invalid folder only after its outcome is
    committed; files and directories are left where they are.

    Raises:
        UsageError: none or more than one of env, directory, files; a path that is missing.
        ReportsUnavailable: parsedmarc is not installed.
        ConfigError: no such environment, no reports mailbox, or its password is unset.
        InboxError: the mailbox could not be reached or used.
    """
    chosen = [x for x in (env, directory, files or None) if x]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --env ENV, --dir DIR or FILE...")
    ingestor = _ingestor(app)
    if env is not None:
        outcomes = _from_mailbox(app, ingestor, env)
    else:
        outcomes = [ingestor.ingest_file(p) for p in _paths(directory, files)]
    alerting = alert(app, deliver=deliver, wait=wait) if alerts else None
    return IngestResult(tuple(outcomes), alerting)


def weekly_figures(
    app: App, week_start: dt.datetime, *, domain: str | None = None
) -> PeriodFigures:
    """The "who sends as you" figures of the week starting `week_start` (Monday 00:00 UTC).

    Returns:
        `PeriodFigures(start, end, domains)`; per watched domain a `DomainFigures` with
        `messages`, `dmarc_pass`, `spf_aligned`, `dkim_aligned` (message counts; `share(n)`
        gives the fraction), `reports`, `reporters` {org: messages}, `sources` (each a
        `SourceFigures`: group, authorised, via, messages, dmarc_pass, spf_aligned,
        dkim_aligned, ips, names, status passing|not_aligning|failing, new, pass_share), the
        shortcuts `new_sources`, `failing_sources`, `not_aligning_sources`, and `tls`
        (`TlsFigures`: successful, failed, by_type {result type: failed sessions}).
    """
    start = week_start.astimezone(dt.UTC)
    return period_figures(app, start, start + dt.timedelta(days=7), domain=domain)


def period_figures(
    app: App, start: dt.datetime, end: dt.datetime, *, domain: str | None = None
) -> PeriodFigures:
    """Figures of reports beginning in [start, end), for one watched domain or all."""
    from monitor.engine.report_sources import classify_sources
    from monitor.policy.report_figures import figures
    from monitor.storage.dmarc_reports import ReportStore

    domains = _domains(app, domain)
    watched = set(domains)
    with app.database.transaction() as session:
        store = ReportStore(session)
        totals = [t for t in store.source_totals(start, end, domain) if t.domain in watched]
        reporters = [r for r in store.reporter_totals(start, end, domain) if r.domain in watched]
        pairs = {(t.domain, t.source_ip): t.source_name for t in totals}
        seen = store.seen_before(start, end, domain)
        tls = [t for t in store.tls(start, end, domain) if t.domain in watched]
    sources = classify_sources(app.settings, pairs)
    threshold = app.settings.reports.alerts.authorised_pass_share
    return figures(
        start,
        end,
        domains,
        totals=totals,
        reporters=reporters,
        sources=sources,
        seen_before=seen,
        tls=tls,
        pass_threshold=threshold,
    )


def alert(app: App, *, deliver: bool = True, wait: float | None = None) -> AlertingOutcome:
    """Apply the report rules (`monitor.policy.report_alerts`) to the stored alerts."""
    from monitor.engine.alerting import deliver_pending, process_observation
    from monitor.engine.report_sources import classify_sources
    from monitor.policy.report_alerts import ReportRules, observe_reports
    from monitor.storage.dmarc_reports import ReportStore

    now = app.alerts_clock()
    cfg = app.settings.reports.alerts
    since = now - dt.timedelta(days=cfg.lookback_days)
    domains = _domains(app, None)
    with app.database.transaction() as session:
        store = ReportStore(session)
        records = [r for r in store.records(since, now) if r.domain in domains]
        reporters = [a for a in store.reporters(now - REPORTER_HORIZON) if a.domain in domains]
        tls = [t for t in store.tls(since, now) if t.domain in domains]
    sources = classify_sources(
        app.settings, {(r.domain, r.source_ip): r.source_name for r in records}
    )
    rules = ReportRules(**cfg.model_dump())
    observation = observe_reports(
        domains,
        records=records,
        sources=sources,
        reporters=reporters,
        tls=tls,
        rules=rules,
        now=now,
    )
    outcome = process_observation(app.database, app.settings, observation, now=now)
    if deliver and app.settings.alerts.channels:
        report, _ = deliver_pending(
            app.database, app.settings, clock=app.alerts_clock, wait=wait, environ=app.environ
        )
        outcome = dataclasses.replace(outcome, report=report)
    return outcome


def parse_week(text: str | None, now: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of the week `text` names: `2026-W05`, a date in it, `this` (the
    default) or `last`.

    Raises:
        UsageError: none of those forms.
    """
    today = now.astimezone(dt.UTC).date()
    value = (text or "this").strip().lower()
    try:
        if value in ("this", "last"):
            day = today - dt.timedelta(days=7 if value == "last" else 0)
        elif "-w" in value:
            year, week = value.split("-w")
            day = dt.date.fromisocalendar(int(year), int(week), 1)
        else:
            day = dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f'--week: "{text}" is not a week (2026-W05, 2026-02-02, this or last)'
        ) from None
    monday = day - dt.timedelta(days=day.weekday())
    return dt.datetime.combine(monday, dt.time(), dt.UTC)


# -- internals ---------------------------------------------------------------------------


def _ingestor(app: App) -> Ingestor:
    """The ingest engine; parsedmarc is looked for first, before the database is opened."""
    from checks.reports.parse import parser_version
    from checks.reports.rdns import ReverseNames
    from monitor.engine.report_ingest import Ingestor
    from monitor.engine.runner import make_resolver
    from monitor.wiring.reports import input_limits

    try:
        parser = f"parsedmarc {parser_version()}"
    except ParserMissing as exc:
        raise ReportsUnavailable(str(exc)) from None
    cfg = app.settings.reports
    names = None
    if cfg.reverse_dns:
        resolver = make_resolver(app.settings.dns)
        names = ReverseNames(resolver, max_cached=cfg.reverse_dns_cache, workers=16)
    return Ingestor(
        app.database,
        frozenset(d.name for d in app.settings.domains),
        app.clock,
        input_limits(app.settings),
        names,
        parser,
    )


def _from_mailbox(app: App, ingestor: Ingestor, env: str) -> list[InputOutcome]:
    from checks.reports.mailbox import ReportMailbox
    from checks.reports.model import Rejected
    from monitor.wiring.reports import mailbox_config

    config = mailbox_config(app.settings, env, app.environ)
    box = app.settings.environments[env].reports
    assert box is not None
    outcomes = []
    with ReportMailbox(config, clock=app.clock) as mailbox:
        for uid, size in mailbox.waiting(box.batch):
            origin = f"imap:{env}:{uid}"
            if size > ingestor.limits.max_input:
                reason = f"{size} bytes; the limit is {ingestor.limits.max_input}"
                outcome = ingestor.reject(origin, "", size, Rejected("reports.too_large", reason))
            else:
                outcome = ingestor.ingest_bytes(origin, mailbox.fetch(uid))
            # committed above: only now does the message leave the folder
            rejected = outcome.outcome == "rejected"
            mailbox.move(uid, box.invalid_folder if rejected else box.processed_folder)
            outcomes.append(outcome)
    return outcomes


def _paths(directory: Path | None, files: Iterable[Path]) -> list[Path]:
    if directory is not None:
        if not directory.is_dir():
            raise UsageError(f"--dir {directory}: not a directory")
        return sorted(p for p in directory.iterdir() if p.is_file())
    paths = list(files)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing[:3])}")
    return paths


def _domains(app: App, domain: str | None) -> list[str]:
    watched = [d.name for d in app.settings.domains]
    if domain is None:
        return watched
    name = domain.lower().rstrip(".")
    if name not in watched:
        raise UsageError(f'--domain: "{domain}" is not a watched domain')
    return [name]
