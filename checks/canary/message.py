"""The canary message: one uniquely tokened mail per environment per run.

Why a token in a header *and* in the subject: the inbox readers search the header
`X-Senderwatch-Canary` first (exact, cheap on the server), and fall back to the subject because
some ESPs or relays drop or rename custom headers; either way the token alone identifies the
message, so the inbox may hold any amount of other mail.

The Message-ID is `<token@from-domain>`: unique because the token is, and at the From domain so
the receiver's view of the sender is consistent (a foreign Message-ID domain is a spam signal).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import secrets
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from checks.base import Clock, utcnow
from checks.dns.names import to_alabel

__all__ = [
    "CANARY_HEADER",
    "RELEASE_HEADER",
    "TOKEN_PREFIX",
    "CanaryMessage",
    "domain_of",
    "new_canary",
    "new_token",
]

CANARY_HEADER = "X-Senderwatch-Canary"
RELEASE_HEADER = "X-Senderwatch-Release"
TOKEN_PREFIX = "sw-"  # noqa: S105 -- a marker prefix, not a password
_TOKEN_BYTES = 15  # 120 bits: collisions are out of the question, 24 base32 characters


def new_token() -> str:
    """A fresh, URL-safe, case-insensitive canary token such as `sw-mfrggzdfmztwq2lknnwg23tp`.

    Base32 lower case (no padding) because IMAP SEARCH and some subject rewriters are
    case-insensitive or case-folding; the token survives both.
    """
    raw = secrets.token_bytes(_TOKEN_BYTES)
    return TOKEN_PREFIX + base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def domain_of(address: str) -> str:
    """The domain part of an address, lower case, without a trailing dot."""
    return address.rpartition("@")[2].strip().rstrip(".").lower()


@dataclasses.dataclass(frozen=True, slots=True)
class CanaryMessage:
    """Everything the senders need to send one canary, and the round trip to recognise it.

    Attributes:
        token: the unique token (also in the subject and the `X-Senderwatch-Canary` header).
        environment: the environment the canary proves (staging, production, ...).
        from_addr / to_addr: envelope and header addresses (the same on purpose: DMARC
            alignment is judged on the header From, SPF on the envelope).
        subject: contains the token.
        message_id: `<token@from-domain>`, with angle brackets.
        date: when the message was built (aware UTC); the Date header.
        text / html: the two bodies of the multipart/alternative message.
        release: optional release tag (`X-Senderwatch-Release`), so a result names the deploy.
        list_unsubscribe: the `List-Unsubscribe` header value, or None.
        one_click: whether `List-Unsubscribe-Post: List-Unsubscribe=One-Click` is added
            (RFC 8058: only with an https URI).
    """

    token: str
    environment: str
    from_addr: str
    to_addr: str
    subject: str
    message_id: str
    date: dt.datetime
    text: str
    html: str
    release: str | None = None
    list_unsubscribe: str | None = None
    one_click: bool = False

    @property
    def from_domain(self) -> str:
        return domain_of(self.from_addr)

    def extra_headers(self) -> dict[str, str]:
        """The headers beyond From/To/Subject/Date/Message-ID, in sending order.

        HTTP senders pass these to the ESP (`headers` in the body template), so a canary sent
        through an API carries the same token header as one sent by SMTP.
        """
        headers = {CANARY_HEADER: self.token}
        if self.release:
            headers[RELEASE_HEADER] = self.release
        if self.list_unsubscribe:
            headers["List-Unsubscribe"] = self.list_unsubscribe
            if self.one_click:
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers

    def to_email(self) -> EmailMessage:
        """The message as a stdlib `EmailMessage` (policy SMTP: CRLF line ends, folding)."""
        msg = EmailMessage(policy=SMTP)
        msg["From"] = _address(self.from_addr)
        msg["To"] = _address(self.to_addr)
        msg["Subject"] = self.subject
        msg["Date"] = format_datetime(self.date)
        msg["Message-ID"] = self.message_id
        for name, value in self.extra_headers().items():
            msg[name] = value
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        msg.set_boundary(f"=_senderwatch_{self.token}")  # stable bytes for the same canary
        return msg

    def to_bytes(self) -> bytes:
        """The wire form (RFC 5322, CRLF), as handed to SMTP DATA."""
        return self.to_email().as_bytes()


def _address(addr: str) -> Address:
    """An `Address` whose domain is an A-label, so a U-label From still goes out as ASCII."""
    local, _, domain = addr.strip().rpartition("@")
    return Address(addr_spec=f"{local}@{to_alabel(domain.rstrip('.'))}")


def _unsubscribe_header(value: str, token: str) -> tuple[str, bool]:
    """(`List-Unsubscribe` value, one-click?) from a configured URI list.

    `{token}` in the URI is replaced by the canary token, so the unsubscribe endpoint can be
    tested with a token that belongs to no real recipient (a one-click POST, RFC 8058, then
    unsubscribes nobody). Bare URIs are wrapped in angle brackets.
    """
    parts = [p.strip() for p in value.replace("{token}", token).split(",") if p.strip()]
    uris = [p if p.startswith("<") else f"<{p}>" for p in parts]
    one_click = any(u.lower().startswith("<https://") for u in uris)
    return ", ".join(uris), one_click


def new_canary(
    environment: str,
    from_addr: str,
    to_addr: str,
    *,
    release: str | None = None,
    list_unsubscribe: str | None = None,
    clock: Clock = utcnow,
) -> CanaryMessage:
    """Build a fresh canary for `environment`.

    Args:
        environment: environment name; shown in subject and body.
        from_addr: the From (and envelope sender) address.
        to_addr: the seed inbox address.
        release: optional release tag for the `X-Senderwatch-Release` header.
        list_unsubscribe: comma-separated URIs (`https://...`, `mailto:...`), `{token}` is
            replaced; an https URI adds `List-Unsubscribe-Post` (RFC 8058).
        clock: the injectable clock; the Date header and `date` come from it.
    """
    token = new_token()
    now = clock().astimezone(dt.UTC)
    domain = to_alabel(domain_of(from_addr))
    unsubscribe, one_click = (
        _unsubscribe_header(list_unsubscribe, token) if list_unsubscribe else (None, False)
    )
    text, body_html = _bodies(environment, token, now, release)
    return CanaryMessage(
        token=token,
        environment=environment,
        from_addr=from_addr,
        to_addr=to_addr,
        subject=f"senderwatch canary {environment} {token}",
        message_id=f"<{token}@{domain}>",
        date=now,
        text=text,
        html=body_html,
        release=release,
        list_unsubscribe=unsubscribe,
        one_click=one_click,
    )


def _bodies(environment: str, token: str, now: dt.datetime, release: str | None) -> tuple[str, str]:
    """The text and HTML bodies (HTML-escaped: environment and release come from config)."""
    release_line = f"Release: {release}\n" if release else ""
    text = (
        f"senderwatch canary for environment {environment}.\n"
        f"Token: {token}\nSent: {now.isoformat()}\n{release_line}\n"
        "This message proves that mail from this environment authenticates (SPF, DKIM, DMARC).\n"
        "It is deleted automatically once inspected.\n"
    )
    release_html = f"<p>Release: {html.escape(release)}</p>" if release else ""
    body_html = (
        "<html><body>"
        f"<p>senderwatch canary for environment <b>{html.escape(environment)}</b>.</p>"
        f"<p>Token: <code>{token}</code><br>Sent: {now.isoformat()}</p>{release_html}"
        "<p>This message proves that mail from this environment authenticates "
        "(SPF, DKIM, DMARC). It is deleted automatically once inspected.</p>"
        "</body></html>"
    )
    return text, body_html
