"""`[environments.NAME.inbox]`: one settings model per inbox kind, keyed by the reader registry.

`kind` (default "imap") picks the model (`INBOX_SETTINGS`, whose keys are exactly those of
`checks.canary.inbox.READERS`): an unknown kind is an error listing the known ones, never a
fallback to another reader, and a key of another kind (`host` on a Maildir) is an unknown key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from checks.canary.inbox import READERS
from monitor.config._base import (
    EnvName,
    Problems,
    Section,
    Security,
    plaintext_only_on_loopback,
)
from monitor.config.kinds import kind_union

__all__ = [
    "INBOX_SETTINGS",
    "ImapInboxSettings",
    "ImapServerSettings",
    "InboxSettings",
    "MaildirInboxSettings",
]


class ImapServerSettings(Section):
    """Where an IMAP mailbox is and how to log in: shared by the canary inbox and the
    report (`rua=`) mailbox, which read different folders of possibly different servers."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "tls"
    username: str
    password_env: EnvName
    timeout: float = Field(default=30.0, gt=0, le=600)  # one IMAP socket operation
    verify_certificate: bool = True
    ca_file: str | None = None


class _Inbox(Section):
    """What every inbox has: the folder watched, what happens to a read canary, and whose
    Authentication-Results are believed."""

    folder: str = "INBOX"
    after: Literal["delete", "move"] = "delete"
    move_to: str = "senderwatch-processed"
    poll_interval: float = Field(default=5.0, gt=0, le=600)
    trusted_authserv_ids: tuple[str, ...] = ()
    receiver: Literal["generic", "microsoft365"] = "generic"

    def _common_problems(self) -> Problems:
        problems = Problems("inbox")
        if self.after == "move" and self.move_to.strip().lower() == self.folder.strip().lower():
            problems.add("move_to is the watched folder itself: canaries would never leave")
        if not self.trusted_authserv_ids and self.receiver == "generic":
            problems.add(
                "trusted_authserv_ids is empty: name the receiver's authserv-id(s); "
                "an Authentication-Results header from anyone else is never trusted"
            )
        return problems


class ImapInboxSettings(_Inbox, ImapServerSettings):
    """A mailbox read over IMAP (the default kind)."""

    kind: Literal["imap"] = "imap"
    idle: bool = True

    @model_validator(mode="after")
    def _checks(self) -> ImapInboxSettings:
        problems = self._common_problems()
        if plaintext := plaintext_only_on_loopback(self.host, self.security):
            problems.add(plaintext)
        problems.raise_any()
        return self


class MaildirInboxSettings(_Inbox):
    """A Maildir on this machine (a local MTA delivers the seed address into it)."""

    kind: Literal["maildir"]
    path: str

    @model_validator(mode="after")
    def _checks(self) -> MaildirInboxSettings:
        self._common_problems().raise_any()
        return self


INBOX_SETTINGS: dict[str, type[Section]] = {
    "imap": ImapInboxSettings,
    "maildir": MaildirInboxSettings,
}
"""kind → settings model, taken in `READERS` order (a reader without a model fails at import)."""

if TYPE_CHECKING:
    InboxSettings = ImapInboxSettings | MaildirInboxSettings
else:
    InboxSettings = kind_union(
        "checks.canary.inbox.READERS", READERS, INBOX_SETTINGS, default="imap"
    )
