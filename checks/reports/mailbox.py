"""The mailbox `rua=` names, over IMAP: the canary's IMAP reader plus listing and moving.

It reuses `checks.canary.inbox.imap.ImapInbox` for everything that is hard (TLS, STARTTLS,
login, reconnect-once on a dropped session, error steps), and adds what a report mailbox
needs: list the waiting messages, fetch one whole message (refusing one larger than the
limit without reading it), and move one to a folder afterwards. The caller moves a message
only after its result is committed, so a crash between the two re-reads the message next
time (the store ignores the duplicate) instead of losing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from checks.canary.inbox.base import InboxError
from checks.canary.inbox.imap import ImapInbox, ImapInboxConfig

__all__ = ["ImapInboxConfig", "ReportMailbox"]

T = TypeVar("T")


def _server_text(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class ReportMailbox(ImapInbox):
    """A report mailbox. Use as a context manager (one short session per ingest)."""

    def waiting(self, limit: int) -> list[tuple[str, int]]:
        """(uid, size) of up to `limit` messages in the folder, oldest first."""

        def run(client: IMAPClient) -> list[tuple[str, int]]:
            client.noop()
            uids = sorted(client.search(["ALL"]))[:limit]
            if not uids:
                return []
            sizes = client.fetch(uids, ["RFC822.SIZE"])
            return [(str(u), int(sizes.get(u, {}).get(b"RFC822.SIZE", 0) or 0)) for u in uids]

        return self._guarded("search", run)

    def fetch(self, uid: str) -> bytes:
        """The whole message (the caller checked its size)."""

        def run(client: IMAPClient) -> bytes:
            item = client.fetch([int(uid)], ["BODY.PEEK[]"]).get(int(uid), {})
            raw = item.get(b"BODY[]")
            if not isinstance(raw, bytes):
                raise InboxError("fetch", f"message {uid} is gone")
            return raw

        return self._guarded("fetch", run)

    def move(self, uid: str, folder: str) -> None:
        """Move one message to `folder` (created if needed): MOVE, else COPY + UID EXPUNGE."""

        def run(client: IMAPClient) -> None:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            if client.has_capability("MOVE"):
                client.move([int(uid)], folder)
                return
            client.copy([int(uid)], folder)
            client.delete_messages([int(uid)])
            if client.has_capability("UIDPLUS"):
                client.expunge([int(uid)])
            else:
                client.expunge()

        self._guarded("delete", run)

    def _guarded(self, step: str, op: Callable[[IMAPClient], T]) -> T:
        """Run `op` through the reader's reconnect-once; server refusals become InboxError."""

        def wrapped(client: IMAPClient) -> T:
            try:
                return op(client)
            except IMAPClientAbortError:
                raise
            except IMAPClientError as exc:
                raise InboxError(step, _server_text(exc)) from None

        return self._with_client(wrapped)
