"""Read the canary from a Maildir on this machine (a receiver delivering locally).

Same semantics as the IMAP reader: match by token on the message's own headers, return the
stored bytes (whole for a canary, the first `headblock.READ_BYTES` of anything larger), then
delete or move to a Maildir++ folder (`.<move_to>`, the layout Dovecot uses, created when
missing). New mail is found in `new/` and `cur/` alike; waiting polls, because the stdlib has
no portable change notification.

Memory is bounded per message: the token is checked on the first 256 KiB, only a match is
read further (up to `READ_BYTES`), and moving renames the file instead of copying its bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import mailbox
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from checks.base import Clock, utcnow
from checks.canary.headblock import READ_BYTES
from checks.canary.inbox.base import InboxError, RawMessage, matches_token

__all__ = ["MaildirInbox", "MaildirInboxConfig"]

_HEAD_LIMIT = 256 * 1024  # headers larger than this are not a canary's


@dataclasses.dataclass(frozen=True, slots=True)
class MaildirInboxConfig:
    """A local Maildir (built by `monitor.wiring.canary`)."""

    path: str
    folder: str = "INBOX"
    after: Literal["delete", "move"] = "delete"
    move_to: str = "senderwatch-processed"
    poll_interval: float = 1.0


class MaildirInbox:
    """An `InboxReader` over a Maildir. Use as a context manager."""

    kind = "maildir"
    Config = MaildirInboxConfig

    def __init__(
        self,
        config: MaildirInboxConfig,
        *,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.clock = clock
        self._sleep = sleep
        self._monotonic = monotonic

    def __enter__(self) -> Self:
        self._mailbox()  # fail fast on a missing path or folder
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def find(self, token: str, since: dt.datetime) -> list[RawMessage]:
        """Messages carrying `token`, oldest first; `since` narrows by day (file time)."""
        box = self._mailbox()
        floor = (since - dt.timedelta(days=1)).timestamp()
        found = []
        for key in box.iterkeys():
            path = self._path(box, key)
            try:
                stat = path.stat()
                if stat.st_mtime < floor or not matches_token(_head(path), token):
                    continue
                raw = _start(path)
            except FileNotFoundError:
                continue  # moved to cur/ or removed by another reader meanwhile
            when = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
            found.append(RawMessage(key, raw, when, stat.st_size))
        return sorted(found, key=lambda m: (m.received_at, m.id))

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the messages, or move them (renamed, bytes unchanged) into `move_to`."""
        box = self._mailbox()
        target = self._target(box) if self.config.after == "move" else None
        for key in ids:
            try:
                if target is None:
                    box.remove(key)
                    continue
                source = self._path(box, key)
                # Same subdirectory and name (new/ stays new/, cur/ keeps its flags suffix).
                source.rename(Path(target._path) / source.parent.name / source.name)
            except KeyError:
                continue  # already gone: deleting is idempotent
            except FileNotFoundError:
                continue  # removed by another reader meanwhile
            except OSError as exc:
                raise InboxError("delete", f"{key}: {exc.strerror or exc}") from None

    def wait_for(
        self, token: str, since: dt.datetime, timeout: float, poll_interval: float | None = None
    ) -> RawMessage | None:
        """Poll every `poll_interval` seconds until the canary is there or `timeout` passes."""
        interval = poll_interval if poll_interval is not None else self.config.poll_interval
        deadline = self._monotonic() + timeout
        while True:
            found = self.find(token, since)
            if found:
                return found[0]
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return None
            self._sleep(min(remaining, interval))

    # -- internals -------------------------------------------------------------------------
    def _mailbox(self) -> mailbox.Maildir:
        """A fresh view each time: the stdlib caches the listing between calls."""
        root = Path(self.config.path)
        if not (root / "cur").is_dir() or not (root / "new").is_dir():
            raise InboxError("connect", f"{root} is not a Maildir (no cur/ and new/)")
        box = mailbox.Maildir(root, factory=None, create=False)
        if self.config.folder.upper() == "INBOX":
            return box
        try:
            return box.get_folder(self.config.folder)
        except mailbox.NoSuchMailboxError:
            raise InboxError("select", f"folder {self.config.folder!r} does not exist") from None

    def _target(self, box: mailbox.Maildir) -> mailbox.Maildir:
        root = mailbox.Maildir(self.config.path, factory=None, create=False)
        try:
            return root.get_folder(self.config.move_to)
        except mailbox.NoSuchMailboxError:
            return root.add_folder(self.config.move_to)

    @staticmethod
    def _path(box: mailbox.Maildir, key: str) -> Path:
        # `_lookup` is the stdlib's own key → relative path map (refreshing when stale).
        return Path(box._path) / box._lookup(key)  # type: ignore[attr-defined]


def _start(path: Path) -> bytes:
    """The first `READ_BYTES` of the file: all of a canary, the header block of the rest."""
    with path.open("rb") as handle:
        return handle.read(READ_BYTES)


def _head(path: Path) -> bytes:
    """The header block of the file at `path` (read no further than needed)."""
    with path.open("rb") as handle:
        data = handle.read(_HEAD_LIMIT)
    return data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
