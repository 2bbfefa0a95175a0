"""The `canary` check: send a real message, find it in the seed inbox, prove its authentication.

Steps of `CanaryRoundTrip.run()` (each failure is a result, never an exception):

    1. open the inbox          login problems surface before anything is sent
                               (InboxError → ERROR `canary.inbox_error`, naming the step)
    2. send the canary         through the environment's sender (SMTP relay or ESP API)
                               (no connection / timeout / 4xx → ERROR `canary.send_failed`;
                               a refusal (5xx, AUTH rejected, bad certificate) → FAIL
                               `canary.send_refused`; both name the step and the reply)
    3. wait for it             IDLE or polling, up to the timeout
                               (nothing → FAIL `canary.not_delivered`)
    4. inspect it              `checks.canary.inspect.inspect_message` with the environment's
                               trusted authserv-ids and the From domain's DMARC alignment modes;
                               an SPF failure is explained against the published record for
                               the IP the receiver saw (`checks.dns.spf.explain_ip`)
    5. latency                 send → receiver's Received timestamp → detection; above the
                               environment's threshold → WARN `canary.slow`

The found message stays in the inbox until `acknowledge()`: the caller stores the result
first and acknowledges afterwards (input is removed only once its outcome is stored), so a
crash between the two leaves the canary where a person can still read it. A canary that was
not found is never touched.

Usage:
    with CanaryRoundTrip("staging", config, ctx) as trip:
        result = trip.run()
        store(result, trip.record)      # commit first
        trip.acknowledge()              # then delete or move the message
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from checks.base import CheckContext
from checks.canary.inbox import (
    ImapInboxConfig,
    InboxError,
    InboxReader,
    MaildirInboxConfig,
    RawMessage,
    open_inbox,
)
from checks.canary.inspect import Expectations, Inspection, TrustPolicy, inspect_message
from checks.canary.message import CanaryMessage, domain_of, new_canary
from checks.canary.record import CanaryRecord
from checks.canary.roundtrip_facts import (
    alignment_modes,
    explain_spf,
    header_block,
    latency_facts,
)
from checks.canary.senders import (
    HttpSendConfig,
    Sender,
    SendError,
    SendReceipt,
    SmtpSendConfig,
    make_sender,
)
from checks.result import CheckResult, Finding, Scalar, Severity, rollup_status

__all__ = ["CanaryConfig", "CanaryRecord", "CanaryRoundTrip"]

CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING
# Steps at which "could not send" says nothing about the sending path's configuration.
_UNMEASURABLE_STEPS = frozenset({"connect", "http"})


@dataclasses.dataclass(frozen=True)
class CanaryConfig:
    """One environment's canary, secrets resolved (built by `monitor.engine.canary_run`).

    Attributes:
        from_addr / to_addr: the From (and envelope sender) and the seed inbox address.
        sender: how to send (`SmtpSendConfig` or `HttpSendConfig`).
        inbox: how to read the seed inbox (`ImapInboxConfig` or `MaildirInboxConfig`).
        trust: whose Authentication-Results to believe.
        dkim_selectors: the selectors we sign with (empty: any).
        timeout: seconds to wait for the canary in the inbox.
        latency_warn: seconds from send to delivery above which the result warns.
        release: optional release tag carried in the message and the record.
        list_unsubscribe: optional List-Unsubscribe URIs (see `new_canary`).
    """

    from_addr: str
    to_addr: str
    sender: SmtpSendConfig | HttpSendConfig
    inbox: ImapInboxConfig | MaildirInboxConfig
    trust: TrustPolicy
    dkim_selectors: tuple[str, ...] = ()
    timeout: float = 300.0
    latency_warn: float = 120.0
    release: str | None = None
    list_unsubscribe: str | None = None


class CanaryRoundTrip:
    """One canary for one environment; a context manager that holds the inbox open.

    `sender` and `inbox` may be injected (tests, other transports); by default they are
    built from the config through the registries (`make_sender`, `open_inbox`).
    """

    def __init__(
        self,
        environment: str,
        config: CanaryConfig,
        ctx: CheckContext,
        *,
        sender: Sender | None = None,
        inbox: InboxReader | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.environment = environment
        self.config = config
        self.ctx = ctx
        self._sender = sender or make_sender(config.sender, clock=ctx.clock)
        self._inbox = inbox or open_inbox(config.inbox, clock=ctx.clock)
        self._monotonic = monotonic
        self._inbox_open = False
        self.record: CanaryRecord | None = None
        self.found: RawMessage | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._inbox_open:
            self._inbox_open = False
            self._inbox.__exit__(exc_type, exc, tb)

    # -- the check ---------------------------------------------------------------------------
    def run(self) -> CheckResult:
        """Send, wait, inspect; the result of check `canary` for this environment."""
        started_at, t0 = self.ctx.clock(), self._monotonic()
        evidence: dict[str, Any] = {}
        findings, observations = self._steps(evidence)
        return CheckResult(
            check="canary",
            kind="canary",
            subject=self.environment,
            environment=self.environment,
            started_at=started_at,
            duration_s=self._monotonic() - t0,
            status=rollup_status(findings),
            observations=observations,
            findings=tuple(findings),
            evidence=evidence,
        )

    def _steps(self, evidence: dict[str, Any]) -> tuple[list[Finding], dict[str, Scalar]]:
        """Steps 1-5 of the module docstring; the first step that fails ends the run."""
        cfg = self.config
        message = new_canary(
            self.environment,
            cfg.from_addr,
            cfg.to_addr,
            release=cfg.release,
            list_unsubscribe=cfg.list_unsubscribe,
            clock=self.ctx.clock,
        )
        evidence["canary"] = _canary_evidence(message)
        try:
            self._inbox.__enter__()
            self._inbox_open = True
        except InboxError as exc:
            return [_inbox_finding(exc, "before sending")], {}
        try:
            receipt = self._sender.send(message)
        except SendError as exc:
            evidence["transport_log"] = list(exc.transport_log)
            return [_send_finding(exc, _where(cfg.sender))], {}
        sent_mono = self._monotonic()
        self._sent(message, receipt, evidence)
        try:
            found = self._inbox.wait_for(message.token, receipt.accepted_at, cfg.timeout)
        except InboxError as exc:
            return [_inbox_finding(exc, "while waiting for the canary")], {}
        if found is None:
            return [_not_delivered(message, cfg)], {"canary.delivered": False}
        return self._delivered(found, receipt, self._monotonic() - sent_mono, evidence)

    def _sent(self, message: CanaryMessage, receipt: SendReceipt, evidence: dict[str, Any]) -> None:
        """The relay accepted: from now on there is a canary to record."""
        evidence["canary"].update(
            sent_at=receipt.accepted_at.isoformat(), relay_reply=receipt.relay_reply
        )
        evidence["transport_log"] = list(receipt.transport_log)
        self.record = CanaryRecord(
            message.token,
            self.environment,
            message.message_id,
            receipt.accepted_at,
            self.config.release,
            delivered=False,
        )

    def _delivered(
        self,
        found: RawMessage,
        receipt: SendReceipt,
        waited: float,
        evidence: dict[str, Any],
    ) -> tuple[list[Finding], dict[str, Scalar]]:
        """The canary is in the inbox: inspect it, time it, record it."""
        detected_at = self.ctx.clock()
        self.found = found
        findings, observations = self._inspect(found, evidence)
        received_at = _received_at(evidence)
        latency = latency_facts(receipt.accepted_at, found, received_at, detected_at)
        latency["send_to_detection_s"] = round(waited, 3)
        evidence["latency"] = latency
        findings += _slow(latency, self.config.latency_warn)
        if self.record is not None:
            self.record = dataclasses.replace(
                self.record, delivered=True, received_at=received_at, detected_at=detected_at
            )
        return findings, observations

    def _inspect(
        self, found: RawMessage, evidence: dict[str, Any]
    ) -> tuple[list[Finding], dict[str, Scalar]]:
        """inspect_message with this environment's trust and the domain's DMARC alignment."""
        cfg = self.config
        domain = domain_of(cfg.from_addr)
        adkim, aspf, dmarc_note = alignment_modes(self.ctx.resolver, domain)
        expect = Expectations(
            from_domain=domain, dkim_selectors=cfg.dkim_selectors, adkim=adkim, aspf=aspf
        )
        inspection = inspect_message(found.raw, cfg.trust, expect)
        evidence.update(inspection.evidence)
        evidence["alignment"] = {"adkim": adkim, "aspf": aspf, "source": dmarc_note}
        findings = list(inspection.findings)
        if any(f.code == "canary.spf_fail" for f in findings):
            findings = self._explain_spf(inspection, findings, evidence)
        if not inspection.ok:
            # Failure evidence is kept whole: every header as the receiver stored it.
            evidence["headers"] = header_block(found.raw)
        observations: dict[str, Scalar] = {**inspection.observations, "canary.delivered": True}
        return findings, observations

    def _explain_spf(
        self, inspection: Inspection, findings: list[Finding], evidence: dict[str, Any]
    ) -> list[Finding]:
        ip = inspection.connecting_ip
        if not ip:
            return findings
        mailfrom = inspection.evaluation.spf.domain or domain_of(self.config.from_addr)
        explanation = explain_spf(self.ctx.resolver, mailfrom, ip, self.config.from_addr)
        evidence["spf_explanation"] = explanation
        text = explanation.get("explanation")
        if not text:
            return findings
        return [
            dataclasses.replace(
                f,
                message=f"{f.message}: {text}",
                details={**f.details, "connecting_ip": ip, "explanation": text},
            )
            if f.code == "canary.spf_fail"
            else f
            for f in findings
        ]

    # -- after the result is stored ------------------------------------------------------------
    def acknowledge(self) -> bool:
        """Delete or move the found canary (per the inbox config). Call after storing.

        Returns:
            True when a message was removed, False when there was none to remove.

        Raises:
            InboxError: the inbox refused; the canary stays where it is.
        """
        if self.found is None or not self._inbox_open:
            return False
        self._inbox.delete([self.found.id])
        self.found = None
        return True


def _canary_evidence(message: CanaryMessage) -> dict[str, Any]:
    return {
        "token": message.token,
        "message_id": message.message_id,
        "from": message.from_addr,
        "to": message.to_addr,
        "subject": message.subject,
        "release": message.release,
    }


def _received_at(evidence: dict[str, Any]) -> dt.datetime | None:
    value = evidence.get("received_at")
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def _inbox_finding(exc: InboxError, when: str) -> Finding:
    return Finding(
        "canary.inbox_error",
        CRITICAL,
        f"inbox {exc.step} failed {when}: {exc.text}",
        {"step": exc.step, "reply": exc.text, "retryable": exc.retryable},
        unmeasurable=True,
    )


def _where(sender: SmtpSendConfig | HttpSendConfig) -> str:
    """The relay (`host:port`) or the API (URL without its query, which may hold a key)."""
    if isinstance(sender, SmtpSendConfig):
        return f"{sender.host}:{sender.port}"
    return sender.url.split("?", 1)[0]


def _send_finding(exc: SendError, where: str) -> Finding:
    """Could not reach the sending path (ERROR) versus the path refused the canary (FAIL)."""
    reply = f"{exc.code} {exc.text}" if exc.code is not None else exc.text
    details = {
        "step": exc.step,
        "code": exc.code,
        "reply": exc.text,
        "retryable": exc.retryable,
        "via": where,
    }
    if exc.retryable or exc.step in _UNMEASURABLE_STEPS:
        return Finding(
            "canary.send_failed",
            CRITICAL,
            f"could not send the canary via {where}: {exc.step} failed: {reply}",
            details,
            unmeasurable=True,
        )
    return Finding(
        "canary.send_refused",
        CRITICAL,
        f"{where} refused the canary at {exc.step}: {reply}",
        details,
    )


def _not_delivered(message: CanaryMessage, cfg: CanaryConfig) -> Finding:
    return Finding(
        "canary.not_delivered",
        CRITICAL,
        f"canary {message.token} was accepted but did not arrive in {cfg.to_addr} "
        f"within {cfg.timeout:g}s",
        {"token": message.token, "to": cfg.to_addr, "timeout_s": cfg.timeout},
    )


def _slow(latency: dict[str, Any], threshold: float) -> list[Finding]:
    """Warn when delivery took longer than the environment's threshold."""
    measured = latency.get("send_to_receiver_s")
    basis = "the receiver's Received timestamp"
    if not isinstance(measured, int | float) or measured < 0:
        measured, basis = latency.get("send_to_detection_s"), "detection in the inbox"
    if not isinstance(measured, int | float) or measured <= threshold:
        return []
    return [
        Finding(
            "canary.slow",
            WARNING,
            f"delivery took {measured:.1f}s (by {basis}), above the {threshold:g}s threshold",
            {"latency_s": measured, "threshold_s": threshold, "basis": basis},
        )
    ]
