"""Inbox readers: find the canary by token, fetch its bytes, delete or move it.

`READERS["imap"]` takes an `ImapInboxConfig`, `READERS["maildir"]` a `MaildirInboxConfig`
(each class names its config type as `Config`); both are context managers implementing
`InboxReader` and raise `InboxError` naming the step. The registry's keys are the inbox
`kind`s of the config.

The registry and the other names here are imported on first use, so code that needs only
the kinds (config validation) does not import the IMAP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checks.base import Clock, utcnow
from checks.registry import LazyRegistry, lazy_attributes

if TYPE_CHECKING:
    from checks.canary.inbox.base import InboxError, InboxReader, RawMessage, matches_token
    from checks.canary.inbox.imap import ImapInbox, ImapInboxConfig
    from checks.canary.inbox.maildir import MaildirInbox, MaildirInboxConfig

__all__ = [
    "READERS",
    "ImapInbox",
    "ImapInboxConfig",
    "InboxError",
    "InboxReader",
    "MaildirInbox",
    "MaildirInboxConfig",
    "RawMessage",
    "matches_token",
    "open_inbox",
]

READERS = LazyRegistry(
    {
        "imap": "checks.canary.inbox.imap:ImapInbox",
        "maildir": "checks.canary.inbox.maildir:MaildirInbox",
    }
)


def open_inbox(
    config: ImapInboxConfig | MaildirInboxConfig, *, clock: Clock = utcnow
) -> ImapInbox | MaildirInbox:
    """The registered reader whose `Config` is the type of `config`; use it with `with`.

    Nothing is opened until `__enter__`, which raises `InboxError` (connect, login, ...).

    Raises:
        TypeError: no registered reader takes this config type.
    """
    classes: list[Any] = list(READERS.values())
    for cls in classes:
        if isinstance(config, cls.Config):
            reader: ImapInbox | MaildirInbox = cls(config, clock=clock)
            return reader
    raise TypeError(f"no inbox reader in READERS takes a {type(config).__name__}")


_EXPORTS = {
    "InboxError": "checks.canary.inbox.base",
    "InboxReader": "checks.canary.inbox.base",
    "RawMessage": "checks.canary.inbox.base",
    "matches_token": "checks.canary.inbox.base",
    "ImapInbox": "checks.canary.inbox.imap",
    "ImapInboxConfig": "checks.canary.inbox.imap",
    "MaildirInbox": "checks.canary.inbox.maildir",
    "MaildirInboxConfig": "checks.canary.inbox.maildir",
}


__getattr__ = lazy_attributes(globals(), _EXPORTS, __name__)
