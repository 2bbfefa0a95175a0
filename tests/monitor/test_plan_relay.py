"""`check --env E` probes E's relay too, so relay drift is caught before a canary send fails."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

from checks.registry import CHECKS
from checks.result import Status
from checks.smtp.check import SmtpCheck
from monitor.config import parse_settings
from monitor.config.core import DnsSettings
from monitor.engine.check_run import run_checks
from monitor.engine.plan import build_plan
from monitor.engine.runner import default_deadline, run_specs
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


def test_the_relay_probe_gets_a_deadline_from_its_own_socket_timeout(tmp_path: Path) -> None:
    """The DNS-sized default deadline would cut off a relay that is slow but answers."""
    settings = _settings(2525, "ca.pem", "127.0.0.1:53", str(tmp_path / "db.sqlite"))
    specs = build_plan(settings, env="staging", registry=CHECKS)
    (relay,) = [s for s in specs if s.check_id == "smtp.smtp"]
    assert relay.deadline_s == 2 * 7 * relay.config.timeout + 5.0
    assert relay.deadline_s > default_deadline(settings.dns)
    assert {s.deadline_s for s in specs if s.check_id.startswith("dns.")} == {None}


class SlowRelay:
    """A plain SMTP relay on loopback that waits `delay` seconds before its banner."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> SlowRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as lines:
            time.sleep(self.delay)
            conn.sendall(b"220 slow.test ESMTP\r\n")
            for line in lines:
                if line.upper().startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250-slow.test\r\n250 8BITMIME\r\n")
                elif line.upper().startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 no\r\n")


def test_a_slow_relay_that_answers_is_measured_not_cut_off(tmp_path: Path) -> None:
    """A banner later than the default deadline but within the socket timeout is a result."""
    fast_dns = DnsSettings(nameservers=("127.0.0.1:9",), timeout=0.1, retries=0)
    delay = default_deadline(fast_dns) + 0.5
    with SlowRelay(delay) as relay:
        settings = parse_settings(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                "environments": {
                    "slow": {
                        "domain": "healthy.test",
                        "from": "canary@healthy.test",
                        "to": "seed@inbox.example.test",
                        "smtp": {
                            "host": "127.0.0.1",
                            "port": relay.port,
                            "security": "none",
                            "timeout": delay + 2,
                        },
                        "inbox": {
                            "kind": "maildir",
                            "path": "/nonexistent-maildir",
                            "trusted_authserv_ids": ["mx.inbox.example.test"],
                        },
                    }
                },
            }
        )
        specs = [s for s in build_plan(settings, env="slow") if s.check_id == "smtp.smtp"]
        (result,) = run_specs(specs, dns=fast_dns, registry=CHECKS)
    assert "check.deadline_exceeded" not in result.codes()
    assert result.status is Status.PASS, result.findings
    assert result.observations["smtp.capabilities"] == "8BITMIME"
    assert SmtpCheck.deadline_s(specs[0].config) > delay
