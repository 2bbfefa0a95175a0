"""The Maildir inbox reader against a real temporary Maildir (new/ and cur/, folders)."""

from __future__ import annotations

import datetime as dt
import mailbox
import threading
from pathlib import Path

import pytest

from checks.canary.headblock import READ_BYTES
from checks.canary.inbox import InboxError, MaildirInbox, MaildirInboxConfig
from checks.canary.message import CanaryMessage, new_canary

SINCE = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def canary() -> CanaryMessage:
    return new_canary("staging", "canary@example.test", "seed@inbox.example.test")


@pytest.fixture
def maildir(tmp_path: Path) -> mailbox.Maildir:
    return mailbox.Maildir(tmp_path / "Maildir", factory=None, create=True)


def reader(box: mailbox.Maildir, **overrides: object) -> MaildirInbox:
    settings: dict[str, object] = {"path": box._path, "poll_interval": 0.05}
    settings.update(overrides)
    return MaildirInbox(MaildirInboxConfig(**settings))  # type: ignore[arg-type]


def test_finds_the_canary_in_new_with_its_exact_bytes(maildir: mailbox.Maildir) -> None:
    """A local delivery lands in new/; the reader returns it byte for byte."""
    msg = canary()
    maildir.add(msg.to_bytes())
    maildir.add(canary().to_bytes())
    with reader(maildir) as inbox:
        [found] = inbox.find(msg.token, SINCE)
    assert found.raw == msg.to_bytes()
    assert found.received_at.tzinfo is dt.UTC


def test_finds_the_canary_in_cur_too(maildir: mailbox.Maildir) -> None:
    """A mail client that already listed the folder moved it to cur/; it still counts."""
    msg = canary()
    key = maildir.add(msg.to_bytes())
    message = maildir.get_message(key)
    message.set_subdir("cur")
    maildir[key] = message
    with reader(maildir) as inbox:
        assert len(inbox.find(msg.token, SINCE)) == 1


def test_token_in_the_body_of_another_message_does_not_match(maildir: mailbox.Maildir) -> None:
    """Only the message's own headers identify a canary (a forwarded report must not)."""
    msg = canary()
    maildir.add(b"Subject: weekly report\n\nLast canary was " + msg.token.encode() + b"\n")
    with reader(maildir) as inbox:
        assert inbox.find(msg.token, SINCE) == []


def test_delete_removes_the_file(maildir: mailbox.Maildir) -> None:
    """The watched Maildir does not grow."""
    msg = canary()
    maildir.add(msg.to_bytes())
    with reader(maildir) as inbox:
        inbox.delete([m.id for m in inbox.find(msg.token, SINCE)])
        assert inbox.find(msg.token, SINCE) == []
    assert len(maildir) == 0


def test_move_creates_a_maildirplusplus_folder(maildir: mailbox.Maildir) -> None:
    """Moved canaries land in `.senderwatch-processed`, Dovecot's folder layout."""
    msg = canary()
    maildir.add(msg.to_bytes())
    with reader(maildir, after="move") as inbox:
        inbox.delete([m.id for m in inbox.find(msg.token, SINCE)])
    folder = Path(maildir._path) / ".senderwatch-processed"
    assert folder.is_dir()
    with reader(maildir, folder="senderwatch-processed") as moved:
        assert len(moved.find(msg.token, SINCE)) == 1


def test_wait_for_polls_until_delivery(maildir: mailbox.Maildir) -> None:
    """A canary delivered after the wait began is found by polling."""
    msg = canary()
    timer = threading.Timer(0.2, maildir.add, args=(msg.to_bytes(),))
    timer.start()
    with reader(maildir) as inbox:
        found = inbox.wait_for(msg.token, SINCE, timeout=30)
    timer.join()
    assert found is not None


def test_wait_for_returns_none_after_the_timeout(maildir: mailbox.Maildir) -> None:
    """Never delivered: None, which the round trip reports as canary.not_delivered."""
    with reader(maildir) as inbox:
        assert inbox.wait_for(canary().token, SINCE, timeout=0.1) is None


def test_missing_maildir_is_a_connect_error(tmp_path: Path) -> None:
    """A wrong path is reported as unreachable, not as an empty inbox."""
    inbox = MaildirInbox(MaildirInboxConfig(path=str(tmp_path / "nope")))
    with pytest.raises(InboxError) as info, inbox:
        pass
    assert info.value.step == "connect"


def test_missing_folder_is_a_select_error(maildir: mailbox.Maildir) -> None:
    """A typo in `folder` is named."""
    with pytest.raises(InboxError) as info, reader(maildir, folder="Nope"):
        pass
    assert info.value.step == "select"


def test_large_canary_is_read_only_up_to_its_header_block(maildir: mailbox.Maildir) -> None:
    """A 12 MB canary: the reader keeps its first READ_BYTES and its real size, not the body."""
    msg = canary()
    big = msg.to_bytes() + b"A" * 12_000_000
    maildir.add(big)
    with reader(maildir) as inbox:
        [found] = inbox.find(msg.token, SINCE)
    assert found.size == len(big)
    assert not found.complete
    assert found.raw == big[:READ_BYTES]


def test_small_canary_is_read_whole(maildir: mailbox.Maildir) -> None:
    """Every canary is far under the bound: its bytes are kept whole, as evidence."""
    msg = canary()
    maildir.add(msg.to_bytes())
    with reader(maildir) as inbox:
        [found] = inbox.find(msg.token, SINCE)
    assert found.complete
    assert found.size == len(found.raw)


def test_move_renames_the_file_instead_of_copying_its_bytes(maildir: mailbox.Maildir) -> None:
    """Moving a large canary costs no memory: the same file (inode) lands in the folder."""
    msg = canary()
    key = maildir.add(msg.to_bytes() + b"B" * 5_000_000)
    inode = (Path(maildir._path) / maildir._lookup(key)).stat().st_ino  # type: ignore[attr-defined]
    with reader(maildir, after="move") as inbox:
        inbox.delete([m.id for m in inbox.find(msg.token, SINCE)])
    [moved] = (Path(maildir._path) / ".senderwatch-processed" / "new").iterdir()
    assert moved.stat().st_ino == inode
    assert len(maildir) == 0
