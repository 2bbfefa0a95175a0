"""Read the canary back over IMAP (TLS, STARTTLS, or plain on loopback), waiting with IDLE.

Session shape (servers drop long IMAP sessions, parsedmarc #155/#219/#107): one short
session per round trip, opened by `__enter__` and closed by `__exit__`. Any operation that
finds the connection dropped ("Disconnected for inactivity", broken pipe, timeout) reconnects
once and retries; a second failure is an `InboxError(retryable=True)`.

Waiting (`wait_for`):
    1. NOOP + SEARCH for the token (header `X-Senderwatch-Canary`, then the subject).
    2. Found: FETCH the two header fields that carry the token (at most 64 KiB), RFC822.SIZE
       and INTERNALDATE, and confirm the token on the message's own fields.
    3. For the confirmed ones only: FETCH BODY.PEEK[]<0.READ_BYTES>, the first
       `headblock.READ_BYTES` (1 MiB + 1 KiB): the whole of any canary, and the header block
       of anything larger, never a large body. PEEK does not set \\Seen. Return the oldest.
    4. Not found: if the server advertises IDLE (and the config allows it), IDLE until any
       untagged response or the round's limit, then DONE and go to 1; otherwise sleep
       `poll_interval` and go to 1. Stop at the deadline with None.

Memory is bounded per message, whatever the mailbox holds: no FETCH ever asks for a whole
message or a whole header block.

Why IDLE rounds alternate short and long: a message stored between our SEARCH and the start of
IDLE is never announced (the server's change notification starts with IDLE), and Dovecot's
Maildir sync treats a directory changed within the same second as unchanged until its next
sync. So the first IDLE round after each search lasts only `idle_recheck` (2 s) before
searching again; the next one lasts up to `idle_refresh` (60 s). A canary that slips into the
window is found within seconds instead of a minute, at the cost of one extra SEARCH.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import ssl
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Literal, Self, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import (
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)

from checks.base import Clock, utcnow
from checks.canary.headblock import READ_BYTES
from checks.canary.inbox.base import InboxError, RawMessage, matches_token
from checks.canary.message import CANARY_HEADER
from checks.tls import (
    TlsSetupError,
    client_context,
    describe_tls_error,
    tls_failure_step,
)

__all__ = ["ImapInbox", "ImapInboxConfig"]

T = TypeVar("T")
# The fields that carry the token, at most 64 KiB of them (a canary's are under 200 bytes).
_TOKEN_FIELDS = f"BODY.PEEK[HEADER.FIELDS ({CANARY_HEADER.upper()} SUBJECT)]<0.65536>"
# The start of the message: all of a canary, the header block of anything larger.
_START = f"BODY.PEEK[]<0.{READ_BYTES}>"
_START_KEY = b"BODY[]<0>"
_DROPS = (IMAPClientAbortError, ConnectionError, TimeoutError, ssl.SSLEOFError, BrokenPipeError)


@dataclasses.dataclass(frozen=True, slots=True)
class ImapInboxConfig:
    """The seed mailbox (built by `monitor.wiring.canary`; password already resolved)."""

    host: str
    username: str
    password: str = dataclasses.field(default="", repr=False)
    port: int | None = None
    security: Literal["tls", "starttls", "none"] = "tls"
    folder: str = "INBOX"
    after: Literal["delete", "move"] = "delete"
    move_to: str = "senderwatch-processed"
    idle: bool = True
    poll_interval: float = 5.0
    idle_refresh: float = 60.0
    idle_recheck: float = 2.0
    timeout: float = 30.0
    verify_certificate: bool = True
    ca_file: str | None = None

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


def _token_fields(item: dict[bytes, object]) -> bytes:
    """The fetched token fields (the server echoes the section name, in its own spelling)."""
    for key, value in item.items():
        if key.upper().startswith(b"BODY[HEADER.FIELDS") and isinstance(value, bytes):
            return value
    return b""


def _server_text(exc: BaseException) -> str:
    """imaplib errors wrap the server's reply as `b'...'`; show the reply itself."""
    text = str(exc)
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return " ".join(text.split()) or type(exc).__name__


class ImapInbox:
    """An `InboxReader` over IMAP. Use as a context manager."""

    kind = "imap"
    Config = ImapInboxConfig

    def __init__(
        self,
        config: ImapInboxConfig,
        *,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self._client: IMAPClient | None = None
        self.reconnects = 0
        self.log: list[str] = []

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> Self:
        self._client = self._connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._disconnect()

    # -- InboxReader -----------------------------------------------------------------------
    @property
    def supports_idle(self) -> bool:
        """IDLE is used when configured and advertised (checked on the live session)."""
        return self.config.idle and self._with_client(lambda c: c.has_capability("IDLE"))

    def find(self, token: str, since: dt.datetime) -> list[RawMessage]:
        """Messages carrying `token`, oldest first (see `InboxReader.find`)."""
        return self._with_client(lambda c: self._find(c, token, since))

    def delete(self, ids: Iterable[str]) -> None:
        """Delete (flag + UID EXPUNGE) or move (MOVE, else COPY + delete) per config."""
        uids = [int(i) for i in ids]
        if uids:
            self._with_client(lambda c: self._remove(c, uids))

    def wait_for(
        self, token: str, since: dt.datetime, timeout: float, poll_interval: float | None = None
    ) -> RawMessage | None:
        """Search, then IDLE (or poll) until the canary arrives or `timeout` passes."""
        interval = poll_interval if poll_interval is not None else self.config.poll_interval
        deadline = self._monotonic() + timeout
        recheck = True
        while True:
            found = self.find(token, since)
            if found:
                return found[0]
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return None
            if self.supports_idle:
                limit = self.config.idle_recheck if recheck else self.config.idle_refresh
                news = self._idle(min(remaining, limit))
                recheck = news or not recheck  # after news or a long round: short again
            else:
                self._sleep(min(remaining, interval))

    # -- operations ------------------------------------------------------------------------
    def _find(self, client: IMAPClient, token: str, since: dt.datetime) -> list[RawMessage]:
        client.noop()  # let the server report new mail before we search
        day = (since - dt.timedelta(days=1)).date()
        uids = self._search(client, ["SINCE", day, "HEADER", CANARY_HEADER, token])
        if not uids:
            uids = self._search(client, ["SINCE", day, "SUBJECT", token])
        if not uids:
            return []
        heads = self._fetch(client, uids, [_TOKEN_FIELDS, "RFC822.SIZE", "INTERNALDATE"])
        wanted = [uid for uid, item in heads.items() if matches_token(_token_fields(item), token)]
        starts = self._fetch(client, wanted, [_START]) if wanted else {}
        found = []
        for uid in wanted:
            raw = starts.get(uid, {}).get(_START_KEY)
            if not isinstance(raw, bytes):
                continue
            received = heads[uid].get(b"INTERNALDATE")
            when = received.astimezone(dt.UTC) if isinstance(received, dt.datetime) else None
            size = heads[uid].get(b"RFC822.SIZE")
            size = size if isinstance(size, int) else None
            found.append(RawMessage(str(uid), raw, when or self.clock(), size))
        self.log.append(f"search {token}: {len(found)} found")
        return sorted(found, key=lambda m: (m.received_at, int(m.id)))

    @staticmethod
    def _fetch(
        client: IMAPClient, uids: list[int], items: list[str]
    ) -> dict[int, dict[bytes, object]]:
        try:
            return dict(client.fetch(uids, items))
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            raise InboxError("fetch", _server_text(exc)) from None

    @staticmethod
    def _search(client: IMAPClient, criteria: list[object]) -> list[int]:
        try:
            return list(client.search(criteria))
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            raise InboxError("search", _server_text(exc)) from None

    def _remove(self, client: IMAPClient, uids: list[int]) -> None:
        cfg = self.config
        try:
            if cfg.after == "move":
                if not client.folder_exists(cfg.move_to):
                    client.create_folder(cfg.move_to)
                if client.has_capability("MOVE"):
                    client.move(uids, cfg.move_to)
                    self.log.append(f"moved {len(uids)} to {cfg.move_to}")
                    return
                client.copy(uids, cfg.move_to)
            client.delete_messages(uids)
            if client.has_capability("UIDPLUS"):
                client.expunge(uids)  # UID EXPUNGE: never expunges anyone else's \Deleted
            else:
                client.expunge()
            self.log.append(f"{cfg.after}d {len(uids)}")
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            raise InboxError("delete", _server_text(exc)) from None

    def _idle(self, seconds: float) -> bool:
        """One IDLE round; True when the server reported anything within `seconds`."""

        def run(client: IMAPClient) -> bool:
            client.idle()
            try:
                responses = client.idle_check(timeout=seconds)
            finally:
                client.idle_done()
            self.log.append(f"idle {seconds:.1f}s: {len(responses)} responses")
            return bool(responses)

        return self._with_client(run)

    # -- connection ------------------------------------------------------------------------
    def _with_client(self, op: Callable[[IMAPClient], T]) -> T:
        """Run `op`; on a dropped connection reconnect once and run it again."""
        for attempt in (1, 2):
            if self._client is None:
                self._client = self._connect()
            try:
                return op(self._client)
            except _DROPS as exc:
                self.log.append(f"connection dropped ({_server_text(exc)}); reconnecting")
                self._disconnect()
                if attempt == 2:
                    raise InboxError(
                        "connect", f"connection dropped twice: {_server_text(exc)}", True
                    ) from None
                self.reconnects += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> IMAPClient:
        cfg = self.config
        ctx = self._context() if cfg.security != "none" else None
        where = f"{cfg.host}:{cfg.effective_port}"
        try:
            client = IMAPClient(
                cfg.host,
                port=cfg.effective_port,
                ssl=cfg.security == "tls",
                ssl_context=ctx,
                timeout=cfg.timeout,
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise InboxError(tls_failure_step(exc), describe_tls_error(exc)) from None
        except TimeoutError:
            raise InboxError(
                "connect", f"{where}: timed out after {cfg.timeout:g}s", True
            ) from None
        except (OSError, IMAPClientError) as exc:
            reason = getattr(exc, "strerror", None) or _server_text(exc)
            raise InboxError("connect", f"{where}: {reason}", True) from None
        client.normalise_times = False  # aware INTERNALDATE, not naive local time
        self.log.append(f"connected {where} ({cfg.security})")
        try:
            self._secure_and_login(client, ctx)
        except BaseException:
            _close_quietly(client)
            raise
        return client

    def _secure_and_login(self, client: IMAPClient, ctx: ssl.SSLContext | None) -> None:
        cfg = self.config
        if cfg.security == "starttls":
            try:
                client.starttls(ctx)
            except CapabilityError:
                raise InboxError("starttls", "STARTTLS is not advertised by the server") from None
            except (ssl.SSLError, ssl.CertificateError) as exc:
                raise InboxError(tls_failure_step(exc), describe_tls_error(exc)) from None
        try:
            client.login(cfg.username, cfg.password)
        except LoginError as exc:
            raise InboxError("login", _server_text(exc)) from None
        try:
            client.select_folder(cfg.folder)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            raise InboxError("select", f"folder {cfg.folder!r}: {_server_text(exc)}") from None

    def _context(self) -> ssl.SSLContext:
        try:
            return client_context(
                verify=self.config.verify_certificate, ca_file=self.config.ca_file
            )
        except TlsSetupError as exc:
            raise InboxError("tls_handshake", str(exc)) from None

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _close_quietly(client)


def _close_quietly(client: IMAPClient) -> None:
    """LOGOUT, or just drop the socket when the server is already gone."""
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(IMAPClientError, OSError):
            client.shutdown()
