"""The `smtp` relay check against a real SMTP server on loopback, with real certificates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checks.base import CheckContext
from checks.result import CheckResult, Status
from checks.smtp import SmtpCheck, SmtpCheckConfig
from tests.support.smtp_server import SmtpServer, closed_port
from tests.support.tls import TestCA, self_signed

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("smtp-ca"))


def probe(port: int, **overrides: object) -> CheckResult:
    settings: dict[str, object] = {"host": "localhost", "port": port, "timeout": 5.0}
    settings.update(overrides)
    ctx = CheckContext(resolver=None, clock=lambda: NOW, environment="staging")
    return SmtpCheck().run("staging", SmtpCheckConfig(**settings), ctx)  # type: ignore[arg-type]


def test_healthy_starttls_relay_passes_and_records_its_capabilities(ca: TestCA) -> None:
    """Drift needs the relay's offer as facts: STARTTLS, TLS version, AUTH, certificate."""
    cert = ca.issue("relay", not_after=NOW + dt.timedelta(days=90, hours=1))
    with SmtpServer(starttls=cert.server_context(), users={"u": "p"}) as server:
        result = probe(server.port, ca_file=str(ca.ca_file), auth_required=True)
        assert server.messages == []
    assert result.status is Status.PASS, result.findings
    assert (result.check, result.kind, result.subject, result.environment) == (
        "smtp",
        "smtp",
        "staging",
        "staging",
    )
    obs = result.observations
    assert obs["smtp.starttls"] is True
    assert str(obs["smtp.tls_version"]).startswith("TLSv1.")
    assert obs["smtp.cert_valid"] is True
    assert "smtp.cert_days_left" not in obs  # changes daily: evidence, not drift
    assert result.evidence["cert_days_left"] == 90
    assert obs["smtp.cert_subject"] == "localhost"
    assert obs["smtp.auth_mechanisms"] == "LOGIN,PLAIN"
    capabilities = str(obs["smtp.capabilities"]).split(",")
    assert capabilities == sorted(capabilities)
    assert "AUTH" in capabilities


def test_probe_never_sends_mail_and_quits(ca: TestCA) -> None:
    """The probe must not put mail on a production relay; it ends with QUIT."""
    cert = ca.issue("relay-quit")
    with SmtpServer(starttls=cert.server_context()) as server:
        result = probe(server.port, ca_file=str(ca.ca_file))
    transcript = result.evidence["transcript"]
    assert not any("MAIL FROM" in line or "DATA" in line for line in transcript)
    assert transcript[-1] == ">>> QUIT"


def test_certificate_expiring_soon_warns_with_days_left(ca: TestCA) -> None:
    """Under 14 days left is a warning, caught before sends start failing."""
    cert = ca.issue("soon", not_after=NOW + dt.timedelta(days=5, hours=1))
    with SmtpServer(starttls=cert.server_context()) as server:
        result = probe(server.port, ca_file=str(ca.ca_file))
    assert result.status is Status.WARN
    assert result.codes() == {"smtp.cert_expiring"}
    assert result.evidence["cert_days_left"] == 5


def test_expired_certificate_is_invalid_and_still_described(ca: TestCA) -> None:
    """An expired certificate fails, and the result still says when it expired."""
    cert = ca.issue(
        "expired",
        not_before=NOW - dt.timedelta(days=100),
        not_after=NOW - dt.timedelta(days=3, hours=-1),
    )
    with SmtpServer(starttls=cert.server_context()) as server:
        result = probe(server.port, ca_file=str(ca.ca_file))
    assert result.status is Status.FAIL
    assert "smtp.cert_invalid" in result.codes()
    assert result.observations["smtp.cert_valid"] is False
    assert result.evidence["cert_days_left"] == -3
    assert "expired" in result.evidence["certificate_error"]


def test_self_signed_certificate_is_invalid(tmp_path: Path) -> None:
    """A certificate no trusted CA signed is critical when the sender verifies."""
    rogue = self_signed(tmp_path, "rogue")
    with SmtpServer(starttls=rogue.server_context()) as server:
        result = probe(server.port)
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert finding.code == "smtp.cert_invalid"
    assert "self-signed" in finding.details["reason"] or "self signed" in finding.details["reason"]


def test_unverified_certificate_only_warns_when_verification_is_off(tmp_path: Path) -> None:
    """verify_certificate = false means sends work; the weak certificate is still reported."""
    rogue = self_signed(tmp_path, "rogue2")
    with SmtpServer(starttls=rogue.server_context()) as server:
        result = probe(server.port, verify_certificate=False)
    assert result.status is Status.WARN
    assert result.codes() == {"smtp.cert_invalid"}


def test_missing_starttls_is_critical_when_configured() -> None:
    """A relay that stopped offering STARTTLS breaks every send: caught by the probe first."""
    with SmtpServer() as server:
        result = probe(server.port, host="127.0.0.1")
    assert result.status is Status.FAIL
    assert result.codes() == {"smtp.starttls_missing"}
    assert result.observations["smtp.starttls"] is False
    assert "smtp.tls_version" not in result.observations


def test_missing_auth_is_critical_when_the_environment_authenticates() -> None:
    """No AUTH offered while the canary logs in: sends would fail at auth."""
    with SmtpServer() as server:
        result = probe(server.port, host="127.0.0.1", security="none", auth_required=True)
    assert result.codes() == {"smtp.auth_missing"}


def test_implicit_tls_relay_records_tls_without_starttls(ca: TestCA) -> None:
    """Port 465 relays speak TLS first; STARTTLS absence is then no problem."""
    cert = ca.issue("smtps")
    with SmtpServer(implicit_tls=cert.server_context()) as server:
        result = probe(server.port, security="tls", ca_file=str(ca.ca_file))
    assert result.status is Status.PASS, result.findings
    assert result.observations["smtp.starttls"] is False
    assert result.observations["smtp.cert_valid"] is True


def test_unreachable_relay_is_an_error_not_a_failure() -> None:
    """Relay down = could not measure (ERROR), so drift never sees "capabilities removed"."""
    result = probe(closed_port(), host="127.0.0.1")
    assert result.status is Status.ERROR
    [finding] = result.findings
    assert finding.code == "smtp.connect_failed"
    assert finding.unmeasurable
    assert result.observations == {}


def test_tls_against_a_plaintext_port_is_a_tls_failure() -> None:
    """Speaking TLS to a plaintext port is a measured TLS failure with the handshake reason."""
    with SmtpServer() as server:
        result = probe(server.port, security="tls")
    assert result.status is Status.FAIL
    assert result.codes() == {"smtp.tls_failed"}
