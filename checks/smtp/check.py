"""The `smtp` check: what an environment's relay offers, before a canary depends on it.

Steps (no mail is sent; QUIT after EHLO/STARTTLS):
    1. connect (implicit TLS for `security = "tls"`), read the banner, EHLO;
    2. for `starttls`: STARTTLS when offered (else `smtp.starttls_missing`), EHLO again;
    3. record capabilities, AUTH mechanisms, TLS version and the certificate;
    4. the certificate is verified as the sender would (system store or `ca_file`, host name);
       when that fails, the relay is probed once more without verification, so the result
       still says *what* certificate it presents and when it expires.

Codes: `smtp.connect_failed` / `smtp.connection_lost` (ERROR: nothing measured),
`smtp.ehlo_rejected`, `smtp.tls_failed`, `smtp.starttls_missing`, `smtp.cert_invalid`,
`smtp.auth_missing` (critical), `smtp.cert_expiring` (warning). See docs/canary-transport.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any

from checks.base import CheckContext
from checks.drift_rules import Order, Rule
from checks.result import CheckResult, Finding, Scalar, Severity, rollup_status
from checks.smtp.session import SmtpEndpoint, SmtpSession, SmtpStepError
from checks.tls import certificate_facts

__all__ = ["Config", "SmtpCheck", "SmtpCheckConfig"]

CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING

# What one probe may wait on, each wait bounded by the endpoint's `timeout`: connect (with
# the handshake for implicit TLS), banner, EHLO, STARTTLS, its handshake, EHLO again, QUIT.
_WAITS_PER_PROBE = 7
# A certificate that does not verify is probed a second time, unverified (module docstring).
_PROBES = 2
# Name resolution of the relay (system resolver, not bounded by `timeout`) and scheduling.
_SLACK_S = 5.0


@dataclasses.dataclass(frozen=True)
class Config(SmtpEndpoint):
    """The relay to probe: every `SmtpEndpoint` field, plus what to expect of it (built by
    `monitor.wiring.canary.smtp_check_config`).

    Attributes:
        expiry_warn_days: warn when the certificate expires in fewer days than this.
        auth_required: the environment authenticates (has a username): no AUTH offered is
            then critical, because every canary send would fail at `auth`.
    """

    expiry_warn_days: int = 14
    auth_required: bool = False

    def endpoint(self, *, verify: bool) -> SmtpEndpoint:
        """This relay, with certificate verification forced on or off for one probe."""
        return dataclasses.replace(self, verify_certificate=verify)


SmtpCheckConfig = Config  # the name `Config` is shadowed inside the check class


@dataclasses.dataclass
class _Probe:
    """What one connection learned."""

    banner: str = ""
    features: dict[str, str] = dataclasses.field(default_factory=dict)
    starttls_offered: bool = False
    tls_version: str | None = None
    cert_der: bytes | None = None


def _probe(endpoint: SmtpEndpoint, transcript: list[str]) -> _Probe:
    """Connect, EHLO, STARTTLS when configured and offered, EHLO; never sends mail."""
    session = SmtpSession(endpoint)
    try:
        session.open(upgrade=False)
        found = _Probe(banner=session.banner)
        found.starttls_offered = "STARTTLS" in session.features
        if endpoint.security == "starttls" and found.starttls_offered:
            session.starttls()
        found.features = session.features
        sock = session.tls_socket
        if sock is not None:
            found.tls_version = sock.version()
            found.cert_der = sock.getpeercert(binary_form=True)
        return found
    finally:
        session.close()
        transcript.extend(session.transcript)


class SmtpCheck:
    """Probes one environment's relay; one result per environment."""

    kind = "smtp"
    scope = "environment"
    name = "smtp"
    Config = Config
    # The relay probe: STARTTLS dropped, a certificate no longer valid, an older TLS version
    drift_rules = (
        Rule("smtp.starttls", "true", CRITICAL),
        Rule("smtp.cert_valid", "true", CRITICAL),
        Rule("smtp.tls_version", Order(("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")), CRITICAL),
    )

    @staticmethod
    def deadline_s(config: SmtpCheckConfig) -> float:
        """How long a probe of this relay may take before the runner gives up on it.

        Every socket wait of a probe is bounded by `config.timeout`, so a slow relay that
        still answers finishes within two probes' worth of waits; the runner's default
        deadline is sized for DNS checks and would cut such a relay off as "no result".
        """
        return _PROBES * _WAITS_PER_PROBE * config.timeout + _SLACK_S

    def run(self, subject: str, config: SmtpCheckConfig, ctx: CheckContext) -> CheckResult:
        """Probe the relay of environment `subject`."""
        started_at = ctx.clock()
        t0 = time.perf_counter()
        findings: list[Finding] = []
        observations: dict[str, Scalar] = {}
        evidence: dict[str, Any] = {"relay": f"{config.host}:{config.port} ({config.security})"}
        _measure(config, ctx, findings, observations, evidence)
        return CheckResult(
            check=self.name,
            kind=self.kind,
            subject=subject,
            environment=ctx.environment or subject,
            started_at=started_at,
            duration_s=time.perf_counter() - t0,
            status=rollup_status(findings),
            observations=observations,
            findings=tuple(findings),
            evidence=evidence,
        )


def _measure(
    config: Config,
    ctx: CheckContext,
    findings: list[Finding],
    observations: dict[str, Scalar],
    evidence: dict[str, Any],
) -> None:
    transcript: list[str] = []
    evidence["transcript"] = transcript
    verify_error: SmtpStepError | None = None
    try:
        try:
            probe = _probe(config.endpoint(verify=True), transcript)
        except SmtpStepError as exc:
            if exc.step != "certificate_verification":
                raise
            verify_error = exc  # probe again, unverified, to describe what is presented
            probe = _probe(config.endpoint(verify=False), transcript)
    except SmtpStepError as exc:
        findings.append(_failure(exc, config))
        return
    evidence["banner"] = probe.banner
    evidence["ehlo"] = dict(sorted(probe.features.items()))
    _observe_capabilities(probe, config, findings, observations)
    if probe.tls_version is not None:
        observations["smtp.tls_version"] = probe.tls_version
    if probe.cert_der is not None:
        now = ctx.clock().astimezone(dt.UTC)
        _judge_certificate(
            probe.cert_der,
            verify_error,
            config,
            now,
            findings=findings,
            observations=observations,
            evidence=evidence,
        )
        if verify_error is not None:
            evidence["certificate_error"] = verify_error.text


def _observe_capabilities(
    probe: _Probe, config: Config, findings: list[Finding], observations: dict[str, Scalar]
) -> None:
    auth = sorted({m.upper() for m in probe.features.get("AUTH", "").split()})
    observations["smtp.capabilities"] = ",".join(sorted(probe.features))
    observations["smtp.starttls"] = probe.starttls_offered
    observations["smtp.auth_mechanisms"] = ",".join(auth)
    if config.security == "starttls" and not probe.starttls_offered:
        findings.append(
            Finding(
                "smtp.starttls_missing",
                CRITICAL,
                f"The relay {config.host}:{config.port} does not offer STARTTLS, which this "
                "environment is configured to use: every canary send fails at starttls.",
                {"ehlo": sorted(probe.features)},
            )
        )
    elif config.auth_required and not auth:
        findings.append(
            Finding(
                "smtp.auth_missing",
                CRITICAL,
                f"The relay {config.host}:{config.port} offers no AUTH mechanism, but this "
                "environment authenticates: every canary send fails at auth.",
                {"ehlo": sorted(probe.features)},
            )
        )


def _judge_certificate(
    der: bytes,
    verify_error: SmtpStepError | None,
    config: Config,
    now: dt.datetime,
    *,
    findings: list[Finding],
    observations: dict[str, Scalar],
    evidence: dict[str, Any],
) -> None:
    facts = certificate_facts(der)
    days_left = facts.days_left(now)
    observations["smtp.cert_valid"] = verify_error is None
    # Days left change every day: evidence, not an observation, or drift fires daily.
    evidence["cert_days_left"] = days_left
    evidence["cert_not_after"] = facts.not_after.isoformat()
    observations["smtp.cert_subject"] = facts.subject
    observations["smtp.cert_issuer"] = facts.issuer
    details = {
        "subject": facts.subject,
        "issuer": facts.issuer,
        "not_after": facts.not_after.isoformat(),
        "dns_names": list(facts.dns_names),
    }
    if verify_error is not None:
        severity = CRITICAL if config.verify_certificate else WARNING
        disabled = "" if config.verify_certificate else " (verification is off for sending)"
        findings.append(
            Finding(
                "smtp.cert_invalid",
                severity,
                f"The relay's certificate for {config.host} does not verify: "
                f"{verify_error.text}{disabled}.",
                {**details, "reason": verify_error.text},
            )
        )
    elif days_left < config.expiry_warn_days:
        findings.append(
            Finding(
                "smtp.cert_expiring",
                WARNING,
                f"The relay's certificate for {config.host} expires in {days_left} days "
                f"({facts.not_after:%Y-%m-%d}).",
                {**details, "days_left": days_left},
            )
        )


def _failure(exc: SmtpStepError, config: Config) -> Finding:
    """A probe that stopped: unreachable is ERROR; a relay that answers badly is critical."""
    where = f"{config.host}:{config.port}"
    details = {"step": exc.step, "code": exc.code, "reply": exc.text}
    if exc.step == "connect":
        return Finding(
            "smtp.connect_failed",
            CRITICAL,
            f"Could not measure: connecting to the relay {where} failed ({exc.text}).",
            details,
            unmeasurable=True,
        )
    if exc.code is None and exc.retryable:
        return Finding(
            "smtp.connection_lost",
            CRITICAL,
            f"Could not measure: the relay {where} went away during {exc.step} ({exc.text}).",
            details,
            unmeasurable=True,
        )
    if exc.step in {"tls_handshake", "certificate_verification", "starttls"}:
        return Finding(
            "smtp.tls_failed",
            CRITICAL,
            f"TLS with the relay {where} failed at {exc.step}: {exc.text}.",
            details,
        )
    shown = f"{exc.code} {exc.text}" if exc.code is not None else exc.text
    return Finding(
        "smtp.ehlo_rejected",
        CRITICAL,
        f"The relay {where} refused EHLO: {shown}.",
        details,
    )
