"""The inbox seam: what every reader returns, raises and promises.

A reader is deliberately narrow (a slice of mailsuite's `MailboxConnection`): find messages by
canary token, hand back their exact bytes, and delete or move them afterwards. Parsing and
trusting Authentication-Results is `checks.canary.authresults`' job, shared by all readers.

Exceptions:
    InboxError    the inbox could not be reached or used; `step` names where
                  (connect, tls_handshake, certificate_verification, starttls, login, select,
                  search, fetch, delete). The round trip turns it into an ERROR result: a
                  broken inbox proves nothing about the sender.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from email.parser import BytesHeaderParser
from email.policy import compat32
from types import TracebackType
from typing import Protocol, Self

from checks.canary.message import CANARY_HEADER

__all__ = ["InboxError", "InboxReader", "RawMessage", "matches_token"]


@dataclasses.dataclass(frozen=True, slots=True)
class RawMessage:
    """One message as the receiver stored it, read in bounded memory.

    Attributes:
        id: the reader's handle for `delete` (IMAP UID, Maildir key), opaque to callers.
        raw: the stored bytes from the start: the whole message when it is at most
            `headblock.READ_BYTES` (every canary), else its first `READ_BYTES`, which hold
            any header block the inspection accepts. The body is never needed.
        received_at: when the receiver stored it (IMAP INTERNALDATE, Maildir file time), UTC.
        size: the stored message's size in bytes (IMAP RFC822.SIZE, Maildir file size).
    """

    id: str
    raw: bytes
    received_at: dt.datetime
    size: int | None = None

    @property
    def complete(self) -> bool:
        """`raw` is the whole message (not only its start)."""
        return self.size is None or len(self.raw) >= self.size


class InboxError(Exception):
    """The inbox could not be read.

    Attributes:
        step: connect, tls_handshake, certificate_verification, starttls, login, select,
            search, fetch or delete.
        text: the server's reply (`[AUTHENTICATIONFAILED] Authentication failed.`) or the
            local reason; never a password.
        retryable: transient (network drop, timeout) rather than a standing problem.
    """

    def __init__(self, step: str, text: str, retryable: bool = False) -> None:
        self.step = step
        self.text = text
        self.retryable = retryable
        super().__init__(f"{step}: {text}")


class InboxReader(Protocol):
    """A context manager over one inbox (`READERS` registers the implementations)."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def find(self, token: str, since: dt.datetime) -> list[RawMessage]:
        """Messages carrying `token`, oldest first. `since` narrows the search by day only:
        the token decides, so a receiver clock that is off by hours never hides a canary."""
        ...

    def delete(self, ids: Iterable[str]) -> None:
        """Delete, or move to the configured folder, the messages with these ids."""
        ...

    def wait_for(
        self, token: str, since: dt.datetime, timeout: float, poll_interval: float | None = None
    ) -> RawMessage | None:
        """The first message carrying `token` within `timeout` seconds, else None."""
        ...


_HEADER_PARSER = BytesHeaderParser(policy=compat32)


def matches_token(raw: bytes, token: str) -> bool:
    """True when the message's own headers carry `token` (canary header or subject).

    Servers search by substring and case-insensitively; this confirms the match on the
    message itself, so a token quoted in some other mail's body never counts.
    """
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = _HEADER_PARSER.parsebytes(head + b"\r\n\r\n")
    wanted = token.lower()
    if any(str(v).strip().lower() == wanted for v in headers.get_all(CANARY_HEADER, [])):
        return True
    return wanted in str(headers.get("Subject", "")).lower()
