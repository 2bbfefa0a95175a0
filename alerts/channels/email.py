"""Email over SMTP, for teams without Slack: multipart text + HTML from templates.

Security is explicit: `tls` (implicit TLS, port 465), `starttls` (587; refuses to continue
if the server does not offer STARTTLS) or `none`, which the config allows only towards a
loopback relay. SMTP reply codes carry the retry decision: 4xx and dropped connections are
retryable, 5xx and refused authentication are permanent.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Literal

from alerts.channels.base import (
    Redactor,
    attempt_timeout,
    describe_config,
    render,
    secret,
    secret_values,
)
from alerts.event import DeliveryError, Notification, NotifyReason

__all__ = ["EmailChannel", "EmailConfig"]

log = logging.getLogger("senderwatch.alerts.email")


@dataclasses.dataclass(frozen=True, slots=True)
class EmailConfig:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    password: str | None = secret(None)
    timeout: float = 30.0
    verify_certificate: bool = True
    ca_file: str | None = None


class EmailChannel:
    """Sends one message per notification through an SMTP relay."""

    kind = "email"
    Config = EmailConfig

    def __init__(self, name: str, config: EmailConfig) -> None:
        self.name = name
        self.config = config
        self.redact = Redactor(secret_values(config))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, **describe_config(self.config)}

    def message(self, notification: Notification) -> EmailMessage:
        """The MIME message (public so tests and docs can look at it)."""
        msg = EmailMessage()
        report = notification.reason is NotifyReason.REPORT
        msg["Subject"] = (
            str(notification.alert["subject"])
            if report
            else render("email/alert.subject.j2", notification)
        )
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(self.config.recipients)
        msg["Date"] = email.utils.format_datetime(notification.created_at)
        domain = self.config.sender.rpartition("@")[2] or "senderwatch.invalid"
        msg["Message-ID"] = f"<{notification.id}@{domain}>"
        msg["X-Senderwatch-Notification-Id"] = notification.id
        if report:  # rendered when it was queued (monitor.render.report): text and HTML
            msg.set_content(str(notification.alert["text"]))
            msg.add_alternative(str(notification.alert["html"]), subtype="html")
            return msg
        msg.set_content(render("email/alert.txt.j2", notification) + "\n")
        msg.add_alternative(render("email/alert.html.j2", notification) + "\n", subtype="html")
        return msg

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_file)
        if not self.config.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self, timeout: float) -> smtplib.SMTP:
        cfg = self.config
        if cfg.security == "tls":
            return smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=timeout, context=self._tls_context()
            )
        client = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
        if cfg.security == "starttls":
            client.ehlo()
            if not client.has_extn("starttls"):
                client.close()
                raise DeliveryError(
                    f"SMTP {cfg.host}:{cfg.port} does not offer STARTTLS; refusing to send "
                    'in clear text (set security = "tls" or fix the relay)',
                    retryable=False,
                )
            client.starttls(context=self._tls_context())
        return client

    def deliver(self, notification: Notification, *, timeout: float | None = None) -> None:
        """Send one message; `timeout` caps the socket timeout of each SMTP operation."""
        where = f"SMTP {self.config.host}:{self.config.port}"
        try:
            with self._connect(attempt_timeout(self.config.timeout, timeout)) as client:
                if self.config.username:
                    client.login(self.config.username, self.config.password or "")
                refused = client.send_message(self.message(notification))
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where} refused the login ({exc.smtp_code})", retryable=False
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"{where} refused every recipient (codes {sorted(set(codes))})",
                retryable=any(400 <= c < 500 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raw = exc.smtp_error
            text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
            text = self.redact(text[:200])
            raise DeliveryError(
                f"{where} answered {exc.smtp_code}: {text}", retryable=400 <= exc.smtp_code < 500
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{where}: {self.redact(str(exc))}", retryable=False) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{where} certificate not trusted ({exc.verify_message})", retryable=False
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"{where} unreachable ({type(exc).__name__}: {self.redact(str(exc))[:200]})",
                retryable=True,
            ) from None
        if refused:
            log.warning(
                "notification %s: %s refused some recipients: %s",
                notification.id,
                where,
                ", ".join(sorted(refused)),
            )
