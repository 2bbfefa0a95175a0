"""One SMTP client session whose every failure names the step that failed.

An SMTP tester answers "what broke?" with a step and the server's own reply: `rcpt 550 5.1.1
user unknown`, `certificate_verification: certificate has expired`. `SmtpSession` wraps
`smtplib` so that each step (connect → tls_handshake / certificate_verification → ehlo →
starttls → auth → mail_from → rcpt → data) raises `SmtpStepError(step, code, text, retryable)`
and appends to a transcript that never holds a credential. The relay probe (`checks.smtp`) and
the SMTP canary sender share it, so both diagnose alike.

Exceptions:
    SmtpStepError        a step failed; `code` is the server's reply code or None.
"""

from __future__ import annotations

import dataclasses
import functools
import smtplib
import ssl
from collections.abc import Callable
from typing import Literal

from checks.tls import (
    TlsSetupError,
    client_context,
    describe_tls_error,
    tls_failure_step,
)

__all__ = ["Security", "SmtpEndpoint", "SmtpSession", "SmtpStepError"]

Security = Literal["tls", "starttls", "none"]
_PREFERRED_AUTH = ("PLAIN", "LOGIN", "CRAM-MD5")


@dataclasses.dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    """Where and how to reach a relay. `security="none"` is loopback-only (config enforces)."""

    host: str
    port: int = 587
    security: Security = "starttls"
    timeout: float = 30.0
    verify_certificate: bool = True
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    helo: str | None = None


class SmtpStepError(Exception):
    """A step of the SMTP dialogue failed.

    Attributes:
        step: connect, tls_handshake, certificate_verification, ehlo, starttls, auth,
            mail_from, rcpt or data.
        code: the server's reply code, or None when no reply came (refused, timeout, TLS).
        text: the server's reply text or the local reason.
        retryable: a transient failure (4xx, timeout, disconnect) rather than a refusal.
    """

    def __init__(self, step: str, code: int | None, text: str, retryable: bool) -> None:
        self.step = step
        self.code = code
        self.text = text
        self.retryable = retryable
        shown = f"{code} {text}" if code is not None else text
        super().__init__(f"{step}: {shown}")


def _reply_text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


def _retryable(code: int | None) -> bool:
    return code is None or 400 <= code < 500


class SmtpSession:
    """A context manager around one `smtplib` connection with step-named failures.

    Usage:
        with SmtpSession(endpoint) as s:
            s.open()            # connect (+ implicit TLS), EHLO, STARTTLS + EHLO when asked
            s.login(user, pw)
            s.send(from_addr, [to_addr], data)
    """

    def __init__(self, endpoint: SmtpEndpoint) -> None:
        self.endpoint = endpoint
        self.transcript: list[str] = []
        self.banner = ""
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- facts gathered on the way ---------------------------------------------------------
    @property
    def features(self) -> dict[str, str]:
        """EHLO keywords (upper case) → parameters, from the latest EHLO."""
        smtp = self._require()
        return {k.upper(): v for k, v in smtp.esmtp_features.items()}

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        return tuple(sorted({m.upper() for m in self.features.get("AUTH", "").split()}))

    @property
    def tls_socket(self) -> ssl.SSLSocket | None:
        sock = self._require().sock
        return sock if isinstance(sock, ssl.SSLSocket) else None

    # -- steps -----------------------------------------------------------------------------
    def open(self, *, upgrade: bool = True) -> None:
        """Connect, read the banner, EHLO, and (for `starttls`) upgrade and EHLO again.

        Args:
            upgrade: for `security="starttls"`, issue STARTTLS; the probe passes False when
                it only wants to know whether STARTTLS is offered.
        """
        ep = self.endpoint
        ctx = self._context() if ep.security != "none" else None
        smtp: smtplib.SMTP
        if ep.security == "tls":
            smtp = smtplib.SMTP_SSL(local_hostname=ep.helo, timeout=ep.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(local_hostname=ep.helo, timeout=ep.timeout)
        smtp._host = ep.host  # type: ignore[attr-defined]  # SNI/host check; connect() skips it
        self._smtp = smtp
        self._log(f"connect {ep.host}:{ep.port} ({ep.security})")
        with self._step("connect", tls_possible=ep.security == "tls"):
            code, reply = smtp.connect(ep.host, ep.port)
        self.banner = _reply_text(reply)
        self._log(f"<<< {code} {self.banner}")
        self.ehlo()
        if ep.security == "starttls" and upgrade:
            self.starttls(ctx)

    def ehlo(self) -> None:
        smtp = self._require()
        self._log(f">>> EHLO {smtp.local_hostname}")
        with self._step("ehlo"):
            code, reply = smtp.ehlo()
        self._log(f"<<< {code} {_reply_text(reply)}")
        if code != 250:
            raise SmtpStepError("ehlo", code, _reply_text(reply), _retryable(code))

    def starttls(self, ctx: ssl.SSLContext | None = None) -> None:
        """Upgrade with STARTTLS (raises step `starttls` when the relay does not offer it)."""
        smtp = self._require()
        if not smtp.has_extn("starttls"):
            raise SmtpStepError(
                "starttls", None, "STARTTLS is not advertised in the EHLO reply", False
            )
        self._log(">>> STARTTLS")
        with self._step("starttls", tls_possible=True):
            code, reply = smtp.starttls(context=ctx or self._context())
        self._log(f"<<< {code} {_reply_text(reply)}")
        sock = self.tls_socket
        if sock is not None:
            cipher = sock.cipher()
            self._log(f"TLS established: {sock.version()} {cipher[0] if cipher else ''}")
        self.ehlo()

    def login(self, username: str, password: str) -> None:
        """AUTH with the strongest advertised mechanism smtplib supports; never logged."""
        smtp = self._require()
        offered = self.auth_mechanisms
        if not offered:
            raise SmtpStepError("auth", None, "AUTH is not advertised in the EHLO reply", False)
        mechanism = next((m for m in _PREFERRED_AUTH if m in offered), None)
        if mechanism is None:
            raise SmtpStepError(
                "auth", None, f"no supported AUTH mechanism among {' '.join(offered)}", False
            )
        smtp.user, smtp.password = username, password
        authobject = getattr(smtp, "auth_" + mechanism.lower().replace("-", "_"))
        self._log(f">>> AUTH {mechanism} (credentials not logged)")
        with self._step("auth"):
            code, reply = smtp.auth(mechanism, authobject, initial_response_ok=True)
        self._log(f"<<< {code} {_reply_text(reply)}")

    def send(self, from_addr: str, to_addrs: list[str], data: bytes) -> str:
        """MAIL FROM, RCPT TO each, DATA. Returns the final reply (`250 2.0.0 queued as X`)."""
        smtp = self._require()
        options = ["SMTPUTF8"] if not (from_addr + "".join(to_addrs)).isascii() else []
        if options and not smtp.has_extn("smtputf8"):
            raise SmtpStepError(
                "mail_from", None, "address needs SMTPUTF8; the relay does not offer it", False
            )
        mail = functools.partial(smtp.mail, from_addr, options)
        self._command("mail_from", f"MAIL FROM:<{from_addr}>", mail)
        for rcpt in to_addrs:
            rcpt_call = functools.partial(smtp.rcpt, rcpt)
            self._command("rcpt", f"RCPT TO:<{rcpt}>", rcpt_call, ok=(250, 251))
        self._log(f">>> DATA ({len(data)} bytes)")
        with self._step("data"):
            code, reply = smtp.data(data)
        text = f"{code} {_reply_text(reply)}"
        self._log(f"<<< {text}")
        if code != 250:  # smtplib raises only when DATA itself (354) is refused
            raise SmtpStepError("data", code, _reply_text(reply), _retryable(code))
        return text

    def close(self) -> None:
        """QUIT politely; a relay that already hung up is not an error here."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.sock is not None:
                smtp.quit()
                self._log(">>> QUIT")
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    # -- helpers ---------------------------------------------------------------------------
    def _command(
        self,
        step: str,
        shown: str,
        call: Callable[[], tuple[int, bytes]],
        ok: tuple[int, ...] = (250,),
    ) -> None:
        self._log(f">>> {shown}")
        with self._step(step):
            code, reply = call()
        self._log(f"<<< {code} {_reply_text(reply)}")
        if code not in ok:
            raise SmtpStepError(step, code, _reply_text(reply), _retryable(code))

    def _context(self) -> ssl.SSLContext:
        ep = self.endpoint
        try:
            return client_context(
                verify=ep.verify_certificate,
                ca_file=ep.ca_file,
                client_cert_file=ep.client_cert_file,
                client_key_file=ep.client_key_file,
            )
        except TlsSetupError as exc:
            raise SmtpStepError("tls_handshake", None, str(exc), False) from None

    def _require(self) -> smtplib.SMTP:
        if self._smtp is None:
            raise RuntimeError("SmtpSession.open() was not called")
        return self._smtp

    def _log(self, line: str) -> None:
        self.transcript.append(line)

    def _step(self, step: str, *, tls_possible: bool = False) -> _StepGuard:
        return _StepGuard(self, step, tls_possible)


class _StepGuard:
    """Turns whatever smtplib, ssl or socket raise inside a step into `SmtpStepError`."""

    def __init__(self, session: SmtpSession, step: str, tls_possible: bool) -> None:
        self.session = session
        self.step = step
        self.tls_possible = tls_possible

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None or isinstance(exc, SmtpStepError):
            return
        error = self._translate(exc)
        if error is None:
            return
        self.session._log(f"!!! {error}")
        raise error from None

    def _translate(self, exc: BaseException) -> SmtpStepError | None:
        step = self.step
        if isinstance(exc, smtplib.SMTPResponseException):
            code = exc.smtp_code
            return SmtpStepError(step, code, _reply_text(exc.smtp_error), _retryable(code))
        if isinstance(exc, ssl.SSLError | ssl.CertificateError) and self.tls_possible:
            return SmtpStepError(tls_failure_step(exc), None, describe_tls_error(exc), False)
        reason: str | None = None
        if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
            exc.__context__, TimeoutError
        ):
            exc = exc.__context__  # smtplib wraps a read timeout as a disconnect
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            reason = f"the server closed the connection ({exc})"
        elif isinstance(exc, TimeoutError):
            reason = f"timed out after {self.session.endpoint.timeout:g}s"
        elif isinstance(exc, OSError):
            reason = exc.strerror or str(exc) or type(exc).__name__
        if reason is not None:
            return SmtpStepError(step, None, reason, True)
        if isinstance(exc, smtplib.SMTPException):
            return SmtpStepError(step, None, str(exc), False)
        return None
