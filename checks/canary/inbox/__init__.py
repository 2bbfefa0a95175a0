"""Inbox readers: find the canary by token, fetch its bytes, delete or move it.

`READERS["imap"]` takes an `ImapInboxConfig`, `READERS["maildir"]` a `MaildirInboxConfig`;
both are context managers implementing `InboxReader` and raise `InboxError` naming the step.
"""

from checks.base import Clock, utcnow
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

READERS: dict[str, type[ImapInbox] | type[MaildirInbox]] = {
    "imap": ImapInbox,
    "maildir": MaildirInbox,
}


def open_inbox(
    config: ImapInboxConfig | MaildirInboxConfig, *, clock: Clock = utcnow
) -> ImapInbox | MaildirInbox:
    """The reader for `config` (its type picks IMAP or Maildir); use it with `with`.

    Nothing is opened until `__enter__`, which raises `InboxError` (connect, login, ...).
    """
    if isinstance(config, ImapInboxConfig):
        return ImapInbox(config, clock=clock)
    return MaildirInbox(config, clock=clock)
