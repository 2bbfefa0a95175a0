"""The IMAP inbox reader against a real Dovecot on loopback (plain, TLS, STARTTLS, no-IDLE)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import imapclient
import pytest

from checks.canary.headblock import READ_BYTES
from checks.canary.inbox import ImapInbox, ImapInboxConfig, InboxError, RawMessage
from checks.canary.inspect import Expectations, TrustPolicy, inspect_message
from checks.canary.message import CanaryMessage, new_canary
from tests.support.dovecot import DovecotServer
from tests.support.smtp_server import closed_port
from tests.support.tls import TestCA

USER, PASSWORD = "seed", "seed-pw"
SINCE = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("imap-ca"))


@pytest.fixture(scope="module")
def dovecot(ca: TestCA) -> Iterator[DovecotServer]:
    with DovecotServer({USER: PASSWORD, "other": "other-pw"}, tls=ca.issue("imap")) as server:
        yield server


@pytest.fixture(scope="module")
def dovecot_no_idle() -> Iterator[DovecotServer]:
    with DovecotServer({USER: PASSWORD}, idle=False) as server:
        yield server


def config(server: DovecotServer, **overrides: object) -> ImapInboxConfig:
    settings: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "username": USER,
        "password": PASSWORD,
        "poll_interval": 0.1,
    }
    settings.update(overrides)
    return ImapInboxConfig(**settings)  # type: ignore[arg-type]


def canary() -> CanaryMessage:
    return new_canary("staging", "canary@example.test", "seed@inbox.example.test")


def deliver_later(server: DovecotServer, raw: bytes, delay: float = 0.3) -> threading.Timer:
    timer = threading.Timer(delay, server.deliver, args=(USER, raw))
    timer.start()
    return timer


def test_find_returns_the_exact_stored_bytes_and_leaves_them_unseen(
    dovecot: DovecotServer,
) -> None:
    """Inspection needs the receiver's bytes untouched; BODY.PEEK must not mark them read."""
    msg = canary()
    dovecot.deliver(USER, msg.to_bytes())
    with ImapInbox(config(dovecot)) as inbox:
        [found] = inbox.find(msg.token, SINCE)
    assert found.raw.replace(b"\r\n", b"\n") == msg.to_bytes().replace(b"\r\n", b"\n")
    assert found.received_at.tzinfo is not None
    with imapclient.IMAPClient(dovecot.host, dovecot.port, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags([int(found.id)])[int(found.id)]
    assert b"\\Seen" not in flags


def test_subject_token_is_the_fallback_when_the_header_was_stripped(
    dovecot: DovecotServer,
) -> None:
    """Some relays drop custom headers; the subject token still identifies the canary."""
    msg = canary()
    stripped = msg.to_bytes().replace(f"X-Senderwatch-Canary: {msg.token}\r\n".encode(), b"")
    dovecot.deliver(USER, stripped)
    with ImapInbox(config(dovecot)) as inbox:
        assert len(inbox.find(msg.token, SINCE)) == 1


def test_unknown_token_finds_nothing(dovecot: DovecotServer) -> None:
    """Other mail in the inbox is never mistaken for the canary."""
    dovecot.deliver(USER, canary().to_bytes())
    with ImapInbox(config(dovecot)) as inbox:
        assert inbox.find(canary().token, SINCE) == []


def test_wait_for_uses_idle_and_wakes_on_delivery(dovecot: DovecotServer) -> None:
    """With IDLE the reader is woken by the server instead of polling."""
    msg = canary()
    with ImapInbox(config(dovecot, poll_interval=600)) as inbox:
        assert inbox.supports_idle
        timer = deliver_later(dovecot, msg.to_bytes())
        found = inbox.wait_for(msg.token, SINCE, timeout=60)
        timer.join()
    assert found is not None
    assert b"X-Senderwatch-Canary: " + msg.token.encode() in found.raw
    assert any(line.startswith("idle ") for line in inbox.log)


def test_wait_for_polls_when_the_server_has_no_idle(dovecot_no_idle: DovecotServer) -> None:
    """A server without IDLE is polled at poll_interval, and the canary is still found."""
    msg = canary()
    with ImapInbox(config(dovecot_no_idle)) as inbox:
        assert not inbox.supports_idle
        timer = deliver_later(dovecot_no_idle, msg.to_bytes())
        found = inbox.wait_for(msg.token, SINCE, timeout=60)
        timer.join()
    assert found is not None
    assert not any(line.startswith("idle ") for line in inbox.log)


def test_wait_for_gives_up_with_none_after_the_timeout(dovecot: DovecotServer) -> None:
    """A canary that never arrives yields None (the round trip's canary.not_delivered)."""
    with ImapInbox(config(dovecot, idle=False)) as inbox:
        assert inbox.wait_for(canary().token, SINCE, timeout=0.3) is None


def test_idle_disabled_in_config_polls_even_if_advertised(dovecot: DovecotServer) -> None:
    """`idle = false` is honoured for servers whose IDLE misbehaves."""
    with ImapInbox(config(dovecot, idle=False)) as inbox:
        assert not inbox.supports_idle


def test_delete_expunges_only_the_canary(dovecot: DovecotServer) -> None:
    """The inbox must not grow, and no other message may be expunged with the canary."""
    keep, drop = canary(), canary()
    dovecot.deliver(USER, keep.to_bytes())
    dovecot.deliver(USER, drop.to_bytes())
    with ImapInbox(config(dovecot)) as inbox:
        inbox.delete([m.id for m in inbox.find(drop.token, SINCE)])
        assert inbox.find(drop.token, SINCE) == []
        assert len(inbox.find(keep.token, SINCE)) == 1


def test_move_creates_the_folder_and_moves_the_canary(dovecot: DovecotServer) -> None:
    """after = "move" keeps proof for humans without growing the watched folder."""
    msg = canary()
    dovecot.deliver(USER, msg.to_bytes())
    folder = f"processed-{msg.token[-6:]}"
    with ImapInbox(config(dovecot, after="move", move_to=folder)) as inbox:
        inbox.delete([m.id for m in inbox.find(msg.token, SINCE)])
        assert inbox.find(msg.token, SINCE) == []
    with ImapInbox(config(dovecot, folder=folder)) as moved:
        assert len(moved.find(msg.token, SINCE)) == 1


def test_wrong_password_is_a_login_error_with_the_server_reply(dovecot: DovecotServer) -> None:
    """A rotated IMAP password reads as a login failure with Dovecot's own words."""
    with pytest.raises(InboxError) as info, ImapInbox(config(dovecot, password="wrong")):
        pass
    assert info.value.step == "login"
    assert "AUTHENTICATIONFAILED" in info.value.text
    assert "wrong" not in str(info.value)


def test_missing_folder_is_a_select_error(dovecot: DovecotServer) -> None:
    """A typo in `folder` is named, not reported as an empty inbox."""
    with pytest.raises(InboxError) as info, ImapInbox(config(dovecot, folder="Nope")):
        pass
    assert info.value.step == "select"
    assert "Nope" in info.value.text


def test_nothing_listening_is_a_retryable_connect_error() -> None:
    """IMAP down is `connect` (an ERROR result), never "canary not delivered"."""
    cfg = ImapInboxConfig(host="127.0.0.1", port=closed_port(), security="none", username="u")
    with pytest.raises(InboxError) as info, ImapInbox(cfg):
        pass
    assert info.value.step == "connect"
    assert info.value.retryable
    assert "refused" in info.value.text.lower()


def test_implicit_tls_verifies_against_ca_file(dovecot: DovecotServer, ca: TestCA) -> None:
    """IMAPS with the receiver's CA works end to end."""
    msg = canary()
    dovecot.deliver(USER, msg.to_bytes())
    cfg = config(
        dovecot, host="localhost", port=dovecot.tls_port, security="tls", ca_file=str(ca.ca_file)
    )
    with ImapInbox(cfg) as inbox:
        assert len(inbox.find(msg.token, SINCE)) == 1


def test_untrusted_certificate_is_a_certificate_verification_error(
    dovecot: DovecotServer,
) -> None:
    """Without the CA the certificate is refused, and the step says so."""
    cfg = config(dovecot, host="localhost", port=dovecot.tls_port, security="tls")
    with pytest.raises(InboxError) as info, ImapInbox(cfg):
        pass
    assert info.value.step == "certificate_verification"


def test_starttls_upgrades_before_login(dovecot: DovecotServer, ca: TestCA) -> None:
    """STARTTLS on the plain port, verified, then login."""
    cfg = config(dovecot, host="localhost", security="starttls", ca_file=str(ca.ca_file))
    with ImapInbox(cfg) as inbox:
        assert inbox.find(canary().token, SINCE) == []


def test_starttls_not_offered_is_a_starttls_error(dovecot_no_idle: DovecotServer) -> None:
    """A server without TLS never gets our password in clear when STARTTLS was configured."""
    cfg = config(dovecot_no_idle, host="localhost", security="starttls")
    with pytest.raises(InboxError) as info, ImapInbox(cfg):
        pass
    assert info.value.step == "starttls"


def test_session_dropped_by_the_server_is_reconnected(dovecot: DovecotServer) -> None:
    """parsedmarc #155: a server-side disconnect mid-session must not fail the round trip."""
    msg = canary()
    dovecot.deliver(USER, msg.to_bytes())
    with ImapInbox(config(dovecot)) as inbox:
        inbox.find(msg.token, SINCE)
        subprocess.run(
            ["doveadm", "-c", str(dovecot.conf_path), "kick", USER],
            check=True,
            capture_output=True,
        )
        assert len(inbox.find(msg.token, SINCE)) == 1
    assert inbox.reconnects == 1


def test_maildir_folder_layout_is_shared_with_dovecot(dovecot: DovecotServer) -> None:
    """Mail the lab drops into Maildir new/ is what IMAP serves (H6a relies on this)."""
    path = dovecot.deliver(USER, canary().to_bytes())
    assert Path(path).parent.name == "new"
    assert Path(path).parent.parent == dovecot.maildir(USER)


class _DeliverAfterFirstSearch(ImapInbox):
    """Stores the canary right after the first search: the window before IDLE starts."""

    def __init__(self, config: ImapInboxConfig, server: DovecotServer, raw: bytes) -> None:
        super().__init__(config)
        self._server, self._raw, self._delivered = server, raw, False

    def find(self, token: str, since: dt.datetime) -> list[RawMessage]:
        found = super().find(token, since)
        if not self._delivered:
            self._delivered = True
            self._server.deliver(USER, self._raw)
        return found


def test_canary_stored_between_search_and_idle_is_still_found(dovecot: DovecotServer) -> None:
    """A message stored just before IDLE starts is never announced; the recheck round finds it."""
    msg = canary()
    cfg = config(dovecot, idle_refresh=600.0, idle_recheck=0.5)
    with _DeliverAfterFirstSearch(cfg, dovecot, msg.to_bytes()) as inbox:
        found = inbox.wait_for(msg.token, SINCE, timeout=30)
    assert found is not None
    assert any(line.startswith("idle 0.5s") for line in inbox.log)


def _large(raw: bytes, megabytes: int) -> bytes:
    """`raw` with megabytes of base64-looking body lines appended (an attachment's worth)."""
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
    return raw + line * (megabytes * 1_000_000 // len(line))


def _logged_out_bytes(server: DovecotServer, since: int) -> list[int]:
    """Bytes Dovecot sent per IMAP session that logged out after log offset `since`."""
    deadline = time.monotonic() + 5
    while True:
        text = server.log_path.read_text()[since:]
        sent = [int(m) for m in re.findall(r"Disconnected: Logged out in=\d+ out=(\d+)", text)]
        if sent or time.monotonic() > deadline:
            return sent
        time.sleep(0.05)


def test_large_canary_is_found_fetching_only_its_start(
    dovecot: DovecotServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A 16 MB canary beside a 16 MB stranger: found, inspected, and no body crosses the wire."""
    msg = canary()
    big = _large(msg.to_bytes(), 16)
    dovecot.deliver(USER, _large(canary().to_bytes(), 16))
    dovecot.deliver(USER, big)
    log_start = len(dovecot.log_path.read_text())
    caplog.set_level(logging.DEBUG, logger="imapclient.imaplib")
    with ImapInbox(config(dovecot)) as inbox:
        [found] = inbox.find(msg.token, SINCE)
    assert found.size == len(big)
    assert not found.complete
    assert found.raw == big[:READ_BYTES]
    inspection = inspect_message(found.raw, TrustPolicy(("mx.example.net",)), Expectations())
    assert inspection.evaluation.author.addresses == ("canary@example.test",)
    fetches = [r.getMessage() for r in caplog.records if " FETCH " in r.getMessage()[:40]]
    commands = [f for f in fetches if f.startswith("> ")]
    assert len(commands) == 2, fetches
    assert "BODY.PEEK[HEADER.FIELDS (X-SENDERWATCH-CANARY SUBJECT)]<0.65536>" in commands[0]
    assert f"BODY.PEEK[]<0.{READ_BYTES}>" in commands[1]
    [sent] = _logged_out_bytes(dovecot, log_start)
    assert sent < READ_BYTES + 64 * 1024, f"Dovecot sent {sent} bytes for a {len(big)} byte message"
