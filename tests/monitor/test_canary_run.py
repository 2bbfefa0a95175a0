"""The canary run's crash handling: the same `check.crashed` result as every other check.

The round trip runs with a real Maildir inbox and a real SQLite database; only the sender is
replaced, by one that fails with a programming error no real transport shows on demand.
"""

from __future__ import annotations

from pathlib import Path

from checks.canary.message import CanaryMessage
from checks.canary.senders import SendReceipt
from checks.result import Status
from monitor.config import Settings, parse_settings
from monitor.config.core import DnsSettings
from monitor.engine.canary_run import run_canary
from monitor.engine.check_run import RunStatus
from monitor.engine.plan import CheckSpec
from monitor.engine.runner import run_specs
from monitor.storage import open_database
from tests.monitor._fakes import CrashingCheck


class BrokenSender:
    """A sender with a bug: it raises something that is not a `SendError`."""

    kind = "smtp"

    def send(self, message: CanaryMessage) -> SendReceipt:
        raise RuntimeError("kaputt")


def _settings(tmp_path: Path) -> Settings:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    return parse_settings(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'senderwatch.db'}"},
            "environments": {
                "staging": {
                    "domain": "example.test",
                    "from": "canary@example.test",
                    "to": "inbox@example.test",
                    "timeout": 1,
                    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                    "inbox": {
                        "kind": "maildir",
                        "path": str(maildir),
                        "trusted_authserv_ids": ["mx.example.test"],
                    },
                }
            },
        }
    )


def test_a_crashing_round_trip_is_stored_as_the_same_error_the_runner_records(
    tmp_path: Path,
) -> None:
    """One crash wrapper: `canary` and `check` report a programming error alike, never raise."""
    settings = _settings(tmp_path)
    db = open_database(settings.database.url)
    try:
        done = run_canary(settings, "staging", database=db, sender=BrokenSender())  # type: ignore[arg-type]
    finally:
        db.dispose()
    assert done.outcome.status is RunStatus.ERROR
    (stored,) = done.outcome.results
    canary = stored.result
    assert (canary.kind, canary.check, canary.subject) == ("canary", "canary", "staging")
    assert canary.status is Status.ERROR
    assert canary.codes() == {"check.crashed"}
    assert "RuntimeError: kaputt" in canary.evidence["traceback"]
    (runner_crash,) = run_specs(
        [CheckSpec("dns.crashing", "a.test", None, CrashingCheck.Config("kaputt"))],
        dns=DnsSettings(nameservers=("127.0.0.1:9",)),
        registry={"dns.crashing": CrashingCheck},
    )
    (canary_finding,), (runner_finding,) = canary.findings, runner_crash.findings
    assert canary_finding.message == "the check canary.canary crashed: RuntimeError: kaputt"
    assert runner_finding.message == "the check dns.crashing crashed: RuntimeError: kaputt"
    assert (canary_finding.severity, canary_finding.unmeasurable) == (
        runner_finding.severity,
        runner_finding.unmeasurable,
    )
