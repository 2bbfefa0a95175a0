"""A real SMTP server (aiosmtpd) on loopback that accepts or refuses on command.

Why aiosmtpd rather than Postfix for sender tests: the tests need exact, chosen refusals
(`550 5.1.1` at RCPT, `452` at MAIL FROM, `554` after DATA, AUTH failure) on a real SMTP
dialogue; Postfix gives those only through policy plumbing. The e2e lab uses Postfix.

Usage:
    with SmtpServer(refuse={"rcpt": "550 5.1.1 <x>: Recipient address rejected"}) as srv:
        ...  # srv.port, srv.messages
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.dns_server import free_port

__all__ = ["Received", "SmtpServer", "closed_port", "silent_listener"]


@dataclasses.dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    authenticated_as: str | None


class _Handler:
    def __init__(self, refuse: dict[str, str], messages: list[Received]) -> None:
        self.refuse = refuse
        self.messages = messages

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "mail_from" in self.refuse:
            return self.refuse["mail_from"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "rcpt" in self.refuse:
            return self.refuse["rcpt"]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if "data" in self.refuse:
            return self.refuse["data"]
        login = session.auth_data.login.decode() if session.auth_data else None
        content = envelope.original_content or b""
        self.messages.append(
            Received(envelope.mail_from or "", tuple(envelope.rcpt_tos), content, login)
        )
        return "250 2.0.0 Ok: queued as TEST1"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with optional STARTTLS, implicit TLS, AUTH and refusals.

    Args:
        refuse: step ("mail_from", "rcpt", "data") → full reply line to answer with.
        starttls: server-side context to offer STARTTLS with (None: not offered).
        implicit_tls: server-side context for a TLS-from-the-first-byte listener.
        users: username → password; when given, AUTH PLAIN/LOGIN is offered and required;
            when not, no AUTH is offered.
    """

    def __init__(
        self,
        *,
        refuse: dict[str, str] | None = None,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        require_starttls: bool = False,
    ) -> None:
        self.messages: list[Received] = []
        self.port = free_port()
        self.users = users or {}
        kwargs: dict[str, Any] = {
            "require_starttls": require_starttls,
            "auth_require_tls": False,
        }
        if starttls is not None:
            kwargs["tls_context"] = starttls
        if users:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
        else:  # no users: offer no AUTH at all, like a relay that trusts by IP
            kwargs["auth_exclude_mechanism"] = ["LOGIN", "PLAIN"]
        self._controller = Controller(
            _Handler(refuse or {}, self.messages),
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=implicit_tls,
            server_hostname="relay.example.test",
            **kwargs,
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.users.get(user) == password:
                return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


class silent_listener:
    """A TCP port that accepts connections and never says a word (a hung relay)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port: int = self._sock.getsockname()[1]

    def __enter__(self) -> silent_listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    return free_port()
