"""A real Dovecot IMAP server on loopback ports, for inbox reader tests and the e2e mail lab.

Started with a config of its own (`dovecot -c FILE -F`), no system service: a passwd-file of
users with plain passwords, Maildir++ mailboxes under a private work directory, plaintext
login allowed (loopback only), an optional implicit-TLS listener with a test certificate, and
optionally IDLE hidden from CAPABILITY so the polling path is exercised against the same
server.

Why a private work directory outside pytest's tmp_path: Dovecot's login and mail processes
run as unprivileged users (dovenull, and `mail_user` for mailboxes), which cannot traverse
pytest's 0700 temp root. The directory is removed on stop.

Usage:
    with DovecotServer(users={"seed": "pw"}, tls=ca.issue("imap")) as imap:
        imap.deliver("seed", raw_bytes)           # drop into Maildir new/ as an MTA would
        imap.port, imap.tls_port, imap.maildir("seed")
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.dns_server import MissingComponentError, free_port
from tests.support.tls import CertFiles

__all__ = ["DovecotServer"]

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
_START_TIMEOUT = 15.0
_MAIL_USER = "nobody"  # owns the mailboxes when the tests run as root


class DovecotServer:
    """Dovecot serving IMAP for `users` on 127.0.0.1.

    Args:
        users: username → password (plain, in a passwd-file).
        tls: certificate for an implicit-TLS listener (`tls_port`) and STARTTLS; None: no TLS.
        idle: advertise IDLE; False removes it from CAPABILITY (a server that cannot IDLE).
        workdir: where to keep config, state and mailboxes (default: a fresh temp directory).
    """

    def __init__(
        self,
        users: dict[str, str],
        *,
        tls: CertFiles | None = None,
        idle: bool = True,
        workdir: Path | None = None,
    ) -> None:
        if not Path(DOVECOT).exists():
            raise MissingComponentError(
                "dovecot not found: run .ci/install-system-deps.sh "
                "(Debian packages dovecot-core, dovecot-imapd)"
            )
        self.users = dict(users)
        self.tls = tls
        self.idle = idle
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="senderwatch-dovecot-"))
        self._proc: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam(_MAIL_USER)
            self.mail_uid, self.mail_gid = entry.pw_uid, entry.pw_gid
            self._internal_user, self._login_user = "dovecot", "dovenull"
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(os.getuid()).pw_name
            self._internal_user = self._login_user = me

    # -- layout ----------------------------------------------------------------------------
    @property
    def conf_path(self) -> Path:
        return self.workdir / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.workdir / "dovecot.log"

    def home(self, user: str) -> Path:
        return self.workdir / "mail" / user

    def maildir(self, user: str) -> Path:
        """The user's Maildir root (INBOX); other folders are `.<name>` beside new/cur/tmp."""
        return self.home(user) / "Maildir"

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        for sub in ("run", "state"):
            (self.workdir / sub).mkdir(exist_ok=True)
        self._write_users()
        self.conf_path.write_text(self._config())
        self._proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def deliver(self, user: str, raw: bytes, folder: str | None = None) -> Path:
        """Drop a message into the user's Maildir `new/` exactly as a local MTA would."""
        root = self.maildir(user) if folder is None else self.maildir(user) / f".{folder}"
        for sub in ("tmp", "new", "cur"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self._chown_tree(self.home(user))
        name = f"{time.time_ns()}.P{os.getpid()}.senderwatch-test"
        tmp = root / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.mail_uid, self.mail_gid)
        final = root / "new" / name
        tmp.rename(final)
        return final

    # -- internals -------------------------------------------------------------------------
    def _write_users(self) -> None:
        lines = []
        for user, password in self.users.items():
            home = self.home(user)
            home.mkdir(parents=True, exist_ok=True)
            self._chown_tree(home)
            lines.append(f"{user}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::")
        passwd = self.workdir / "passwd"
        passwd.write_text("\n".join(lines) + "\n")
        passwd.chmod(0o644)

    def _chown_tree(self, top: Path) -> None:
        if os.geteuid() != 0:
            return
        for path in [top, *top.rglob("*")]:
            os.chown(path, self.mail_uid, self.mail_gid)

    def _config(self) -> str:
        w = self.workdir
        ssl_block = "ssl = no\n"
        tls_listener = ""
        if self.tls:
            ssl_block = (
                "ssl = yes\n"
                f"ssl_cert = <{self.tls.cert}\nssl_key = <{self.tls.key}\n"
                "ssl_min_protocol = TLSv1.2\n"
            )
            tls_listener = (
                f"  inet_listener imaps {{\n    address = {self.host}\n"
                f"    port = {self.tls_port}\n    ssl = yes\n  }}\n"
            )
        return f"""# senderwatch test Dovecot (generated)
base_dir = {w}/run
state_dir = {w}/state
log_path = {self.log_path}
protocols = imap
listen = {self.host}
default_internal_user = {self._internal_user}
default_login_user = {self._login_user}
first_valid_uid = 1
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
{ssl_block}mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb {{
  driver = passwd-file
  args = {w}/passwd
}}
userdb {{
  driver = passwd-file
  args = {w}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
{tls_listener}}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{self._idle_filter()}"""

    def _idle_filter(self) -> str:
        """Hide IDLE: Dovecot has no switch for it, so override CAPABILITY without it."""
        if self.idle:
            return ""
        caps = (
            "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES "
            "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT "
            "CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH "
            "ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY "
            "PREVIEW=FUZZY STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"
        )
        return f"imap_capability = {caps}\n"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self._log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer within {_START_TIMEOUT}s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-20:])
        except OSError:
            return "(no log)"
