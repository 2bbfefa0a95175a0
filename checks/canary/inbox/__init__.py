"""Inbox readers: find the canary by token, fetch its bytes, delete or move it.

`READERS["imap"]` takes an `ImapInboxConfig`, `READERS["maildir"]` a `MaildirInboxConfig`;
both are context managers implementing `InboxReader` and raise `InboxError` naming the step.
"""

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
]

READERS: dict[str, type[ImapInbox] | type[MaildirInbox]] = {
    "imap": ImapInbox,
    "maildir": MaildirInbox,
}
