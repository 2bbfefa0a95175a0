"""`check --env E` probes E's relay too, so relay drift is caught before a canary send fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checks.registry import CHECKS
from checks.result import Status
from monitor.config import parse_settings
from monitor.engine.check_run import run_checks
from monitor.engine.plan import build_plan
from tests.conftest import EditableDns
from tests.support.smtp_server import SmtpServer
from tests.support.tls import TestCA


def _settings(relay_port: int, ca_file: str, dns: str, db: str) -> Any:
    return parse_settings(
        {
            "database": {"url": f"sqlite:///{db}"},
            "dns": {"nameservers": [dns], "timeout": 1.0, "retries": 0},
            "domains": [{"name": "healthy.test", "dkim_selectors": ["s1"]}],
            "environments": {
                "staging": {
                    "domain": "healthy.test",
                    "from": "canary@healthy.test",
                    "to": "seed@inbox.example.test",
                    "smtp": {
                        "host": "127.0.0.1",
                        "port": relay_port,
                        "security": "starttls",
                        "ca_file": ca_file,
                    },
                    "inbox": {
                        "kind": "maildir",
                        "path": "/nonexistent-maildir",
                        "trusted_authserv_ids": ["mx.inbox.example.test"],
                    },
                },
                "dns-only": {"domain": "healthy.test"},
            },
        }
    )


def test_environment_plan_adds_the_relay_probe_only_where_smtp_sends(tmp_path: Path) -> None:
    """The smtp check's subject is the environment; an HTTP or DNS-only one has no relay."""
    settings = _settings(2525, "ca.pem", "127.0.0.1:53", str(tmp_path / "db.sqlite"))
    staging = build_plan(settings, env="staging", registry=CHECKS)
    relay = [s for s in staging if s.check_id == "smtp.smtp"]
    assert [(s.subject, s.environment) for s in relay] == [("staging", "staging")]
    assert relay[0].config.port == 2525
    assert relay[0].config.security == "starttls"
    assert not [
        s
        for s in build_plan(settings, env="dns-only", registry=CHECKS)
        if s.check_id == "smtp.smtp"
    ]
    assert not [s for s in build_plan(settings, registry=CHECKS) if s.check_id == "smtp.smtp"]


def test_check_env_stores_the_relay_capabilities(tmp_path: Path, dns_server: EditableDns) -> None:
    """A real STARTTLS relay on loopback: its capabilities and certificate are observed."""
    ca = TestCA(tmp_path / "ca")
    cert = ca.issue("relay")
    with SmtpServer(starttls=cert.server_context()) as relay:
        settings = _settings(
            relay.port, str(ca.ca_file), dns_server.address, str(tmp_path / "db.sqlite")
        )
        outcome = run_checks(settings, env="staging")
    smtp = [r.result for r in outcome.results if r.result.check == "smtp"]
    assert len(smtp) == 1
    assert smtp[0].status is Status.PASS, smtp[0].findings
    assert smtp[0].observations["smtp.starttls"] is True
    assert smtp[0].observations["smtp.cert_valid"] is True
    assert outcome.exit_code == 0
