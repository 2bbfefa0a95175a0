"""The mail lab: a real sending and receiving mail path on loopback, for the canary e2e tests.

What runs (all inside a network namespace the lab creates, see mail_lab_netns.py):

    127.0.0.1:53    Knot DNS: lab-sender.test (SPF ip4:127.0.0.10 -all, DKIM s1, DMARC
                    p=reject) and lab-inbox.test (MX mx.lab-inbox.test → 127.0.0.20)
    127.0.0.10      the environment's RELAY, Postfix: :25 plain (loopback clients relay
                    freely), :587 STARTTLS + AUTH required, :465 implicit TLS + AUTH;
                    OpenDKIM (:8891) signs everything as lab-sender.test, selector s1
    127.0.0.11:25   a SHADOW path on the same Postfix: no signing milter, and it leaves from
                    127.0.0.11, which SPF does not list (spf=fail, dkim=none, dmarc=fail)
    127.0.0.20      the RECEIVER, Postfix :25 (the MX) with postfix-policyd-spf-python
                    (SPF → Authentication-Results), OpenDKIM verifying (:8891) and OpenDMARC
                    (:8893), all stamping authserv-id mx.lab-inbox.test; delivery over LMTP
                    into Dovecot, which serves the mailboxes over IMAP :143 and IMAPS :993
                    and answers SASL for the relay's submission ports (:12345).
                    OpenDKIM also deletes incoming Authentication-Results that claim its
                    authserv-id (RFC 8601 §5), as a compliant border does.
    127.0.0.20:2525 a LAX border on the same receiver: SPF and OpenDMARC only, no OpenDKIM,
                    so forged Authentication-Results survive (and fool OpenDMARC): the case
                    RFC 8601 §7.1 warns about, for the trust tests

Mail to blackhole@lab-inbox.test is accepted by the receiver and discarded (a canary that
"never arrives"). The relay→receiver hop uses STARTTLS, so the receiver's Received header says
ESMTPS. Keys (DKIM, TLS) and passwords are generated per lab; nothing secret is committed.

Known traps of running these daemons on loopback, handled here: OpenDKIM's libunbound is
told to ask 127.0.0.1 and to treat *.test as ordinary zones; policyd-spf's skip_addresses and
OpenDKIM/OpenDMARC's InternalHosts/IgnoreHosts no longer exempt loopback; OpenDMARC does not
self-validate SPF (libspf2 passes 127.0.0.1); Postfix's queue delays are seconds, not minutes.

Fallback when no network namespace can be made (not root): the same daemons could run on the
host's loopback, where Linux routes all of 127.0.0.0/8 to `lo`, with Knot on a free port; the
resolvers would then have to be pointed at that port one by one (unbound stub-addr@port for
OpenDKIM, Postfix transport_maps to [127.0.0.20] instead of MX lookups) and the SPF policy
daemon, which reads /etc/resolv.conf only, would need a resolver on port 53 of the host. That
touches the machine, so it is not done: the lab fails with a clear message instead.

Usage:
    with MailLab() as lab, lab.ns.entered():
        smtplib.SMTP(lab.relay.host, lab.relay.port) ...
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import grp
import os
import pwd
import secrets
import shutil
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jinja2

from tests.support.dns_server import KnotServer, bump_serial
from tests.support.mail_lab_daemons import (
    Daemon,
    SyslogSink,
    wait_for_port,
    wait_for_smtp_banner,
)
from tests.support.mail_lab_netns import LabNamespace
from tests.support.mail_lab_pki import DkimKey, write_tls_files

__all__ = ["Endpoint", "MailLab", "Mailbox"]

TEMPLATES = Path(__file__).parent / "mail_lab_templates"
ZONES = Path(__file__).parent.parent / "zones"
POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"

DNS_IP = "127.0.0.1"
RELAY_IP = "127.0.0.10"
SHADOW_IP = "127.0.0.11"
RECEIVER_IP = "127.0.0.20"
SASL_PORT = 12345


@dataclasses.dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclasses.dataclass(frozen=True)
class Mailbox:
    """A test inbox on the receiver: IMAP login and the Maildir behind it."""

    address: str
    password: str
    maildir: Path

    @property
    def username(self) -> str:
        return self.address


class MailLab:
    """Start, use and stop the lab. See the module docstring for what runs where."""

    sending_domain = "lab-sender.test"
    receiver_domain = "lab-inbox.test"
    authserv_id = "mx.lab-inbox.test"
    selector = "s1"
    relay = Endpoint(RELAY_IP, 25)
    submission = Endpoint(RELAY_IP, 587)
    smtps = Endpoint(RELAY_IP, 465)
    shadow_relay = Endpoint(SHADOW_IP, 25)
    receiver = Endpoint(RECEIVER_IP, 25)
    lax_receiver = Endpoint(RECEIVER_IP, 2525)
    imap = Endpoint(RECEIVER_IP, 143)
    imaps = Endpoint(RECEIVER_IP, 993)
    dns = Endpoint(DNS_IP, 53)
    blackhole = "blackhole@lab-inbox.test"
    mailbox_names = ("canary", "staging", "bench", "dmarc")

    def __init__(self) -> None:
        self.ns = LabNamespace()
        # Not under /tmp: OpenDKIM refuses a config whose parent directories others may write.
        root = os.environ.get("SENDERWATCH_LAB_ROOT", "/run")
        self.workdir = Path(tempfile.mkdtemp(prefix="sw-lab-", dir=root))
        self.workdir.chmod(0o755)  # daemons drop to their own users and must reach their files
        (self.workdir / "logs").mkdir()
        self.smtp_username = f"sender@{self.sending_domain}"
        self.smtp_password = secrets.token_urlsafe(12)
        self.mailboxes = {
            name: Mailbox(
                f"{name}@{self.receiver_domain}",
                secrets.token_urlsafe(12),
                self.workdir / "mail" / name / "Maildir",
            )
            for name in self.mailbox_names
        }
        self.dkim_key = DkimKey()
        self.started_in_s: float | None = None
        self._daemons: dict[str, Daemon] = {}
        self._knot: KnotServer | None = None
        self._syslog: SyslogSink | None = None
        self._jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # daemon config files, not HTML
        )

    # ----------------------------------------------------------------- public paths
    @property
    def ca_file(self) -> Path:
        """The lab CA: verify the relay's and Dovecot's certificates against it."""
        return self.workdir / "pki" / "ca.pem"

    @property
    def zone_dir(self) -> Path:
        return self.workdir / "zones"

    def mailbox(self, name: str = "canary") -> Mailbox:
        return self.mailboxes[name]

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> MailLab:
        """Bring everything up; on any failure, tear down what started and re-raise."""
        begun = time.monotonic()
        atexit.register(self.stop)  # also on an interpreter exit that skips fixture teardown
        try:
            self.ns.create(addresses=(RELAY_IP, SHADOW_IP, RECEIVER_IP))
            self._prepare_files()
            self._syslog = SyslogSink(
                self.workdir / "syslog.sock", self.workdir / "logs" / "syslog.log"
            ).start()
            with self.ns.entered():
                self._knot = KnotServer(
                    self.zone_dir, host=DNS_IP, port=53, workdir=self.workdir / "knot"
                ).start()
            self._start_daemons()
        except BaseException:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - begun
        return self

    def stop(self) -> None:
        """Stop every daemon, remove the namespace and the lab's files (idempotent)."""
        daemons = list(self._daemons.values())
        self._daemons.clear()
        for daemon in daemons:
            daemon.terminate()
        deadline = time.monotonic() + 1.5
        for daemon in daemons:
            with contextlib.suppress(Exception):
                daemon.wait_or_kill(deadline)
        if self._knot is not None:
            with contextlib.suppress(Exception):
                self._knot.stop()
            self._knot = None
        if self._syslog is not None:
            self._syslog.stop()
            self._syslog = None
        self.ns.delete()
        atexit.unregister(self.stop)
        if os.environ.get("SENDERWATCH_KEEP_LAB"):
            return
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> MailLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- files
    def _render(self, template: str, target: Path, **values: Any) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self._jinja.get_template(template).render(**values))
        return target

    def _prepare_files(self) -> None:
        pki = self.workdir / "pki"
        pki.mkdir()
        write_tls_files(
            pki,
            ["mx.lab-inbox.test", "relay.lab-sender.test", "shadow.lab-sender.test"],
            [RELAY_IP, SHADOW_IP, RECEIVER_IP],
        )
        self.zone_dir.mkdir()
        for zone in ZONES.glob("lab-*.zone"):
            shutil.copy(zone, self.zone_dir / zone.name)
        with (self.zone_dir / f"{self.sending_domain}.zone").open("a") as zone_file:
            zone_file.write(f"{self.selector}._domainkey IN TXT {self.dkim_key.txt_rdata()}\n")
        (self.workdir / "knot").mkdir()
        self._write_dkim_and_dmarc()
        self._write_dovecot()
        self._write_postfix()

    def _unbound(self, directory: Path) -> None:
        zones = [p.name[: -len(".zone")] for p in self.zone_dir.glob("*.zone")]
        self._render("unbound.conf.j2", directory / "unbound.conf", zones=zones, dns=f"{DNS_IP}@53")

    def _write_dkim_and_dmarc(self) -> None:
        sign = self.workdir / "opendkim-sign"
        self._render(
            "opendkim.conf.j2",
            sign / "opendkim.conf",
            mode="s",
            host=RELAY_IP,
            port=8891,
            dir=sign,
            domain=self.sending_domain,
            selector=self.selector,
        )
        (sign / f"{self.selector}.private").write_bytes(self.dkim_key.private_pem())
        (sign / f"{self.selector}.private").chmod(0o600)
        (sign / "internal-hosts").write_text("127.0.0.0/8\n")  # the relay's own clients
        self._unbound(sign)
        verify = self.workdir / "opendkim-verify"
        self._render(
            "opendkim.conf.j2",
            verify / "opendkim.conf",
            mode="v",
            host=RECEIVER_IP,
            port=8891,
            dir=verify,
            authserv_id=self.authserv_id,
        )
        (verify / "internal-hosts").write_text("192.0.2.1\n")  # nobody on loopback
        self._unbound(verify)
        dmarc = self.workdir / "opendmarc"
        self._render(
            "opendmarc.conf.j2",
            dmarc / "opendmarc.conf",
            host=RECEIVER_IP,
            port=8893,
            dir=dmarc,
            authserv_id=self.authserv_id,
        )
        (dmarc / "ignore-hosts").write_text("192.0.2.1\n")
        (dmarc / "public_suffix_list.dat").write_text("test\n")
        spf = self.workdir / "policyd-spf"
        self._render("policyd-spf.conf.j2", spf / "policyd-spf.conf", authserv_id=self.authserv_id)

    def _write_dovecot(self) -> None:
        directory = self.workdir / "dovecot"
        self._render(
            "dovecot.conf.j2",
            directory / "dovecot.conf",
            dir=directory,
            host=RECEIVER_IP,
            pki=self.workdir / "pki",
            sasl_port=SASL_PORT,
            domain=self.receiver_domain,
            hostname=self.authserv_id,
        )
        for sub in ("run", "state"):
            (directory / sub).mkdir()
        nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        lines = []
        for name, box in self.mailboxes.items():
            home = self.workdir / "mail" / name
            for sub in ("", "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
                (home / sub).mkdir(parents=True, exist_ok=True)  # Maildir readers need it now
                os.chown(home / sub, nobody, nogroup)
            lines.append(f"{box.address}:{{PLAIN}}{box.password}:{nobody}:{nogroup}::{home}::")
        relay_home = self.workdir / "mail" / "relay-sasl"
        lines.append(
            f"{self.smtp_username}:{{PLAIN}}{self.smtp_password}:{nobody}:{nogroup}::{relay_home}::"
        )
        passwd = directory / "passwd"
        passwd.write_text("\n".join(lines) + "\n")
        os.chown(passwd, 0, grp.getgrnam("dovecot").gr_gid)  # read by Dovecot's auth process
        passwd.chmod(0o640)

    def _postfix_dir(self, name: str) -> Path:
        directory = self.workdir / name
        (directory / "queue").mkdir(parents=True)
        data = directory / "data"
        data.mkdir()
        postfix = pwd.getpwnam("postfix")
        os.chown(data, postfix.pw_uid, postfix.pw_gid)
        return directory

    def _write_postfix(self) -> None:
        pki = self.workdir / "pki"
        relay = self._postfix_dir("relay")
        auth = (
            "-o smtpd_sasl_auth_enable=yes"
            " -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
        )
        self._render(
            "postfix-main.cf.j2",
            relay / "main.cf",
            name="relay",
            dir=relay,
            pki=pki,
            hostname="relay.lab-sender.test",
            domain=self.sending_domain,
            listen=[RELAY_IP, SHADOW_IP],
            mynetworks="127.0.0.0/8",
            bind=RELAY_IP,
            milters=[f"inet:{RELAY_IP}:8891"],
            extra=[
                "smtpd_relay_restrictions = permit_mynetworks, "
                "permit_sasl_authenticated, reject_unauth_destination",
                "smtpd_sasl_type = dovecot",
                f"smtpd_sasl_path = inet:{RECEIVER_IP}:{SASL_PORT}",
            ],
        )
        self._render(
            "postfix-master.cf.j2",
            relay / "master.cf",
            name="relay",
            listeners=[
                f"{RELAY_IP}:25 inet n - n - - smtpd",
                f"{RELAY_IP}:587 inet n - n - - smtpd {auth}",
                f"{RELAY_IP}:465 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes {auth}",
                f"{SHADOW_IP}:25 inet n - n - - smtpd -o smtpd_milters= -o content_filter=shadow:",
            ],
            services=[
                f"shadow unix - - n - - smtp -o smtp_bind_address={SHADOW_IP} "
                "-o smtp_helo_name=shadow.lab-sender.test",
            ],
        )
        receiver = self._postfix_dir("receiver")
        boxes = ", ".join(f"{b.address}=ok" for b in self.mailboxes.values())
        self._render(
            "postfix-main.cf.j2",
            receiver / "main.cf",
            name="receiver",
            dir=receiver,
            pki=pki,
            hostname=self.authserv_id,
            domain=self.receiver_domain,
            listen=[RECEIVER_IP],
            mynetworks=f"{RECEIVER_IP}/32",
            bind=RECEIVER_IP,
            milters=[f"inet:{RECEIVER_IP}:8891", f"inet:{RECEIVER_IP}:8893"],
            extra=[
                f"virtual_mailbox_domains = {self.receiver_domain}",
                f"virtual_mailbox_maps = inline:{{ {boxes}, {self.blackhole}=ok }}",
                f"virtual_transport = lmtp:inet:{RECEIVER_IP}:24",
                f"transport_maps = inline:{{ {self.blackhole}=discard: }}",
                "smtpd_relay_restrictions = reject_unauth_destination",
                "smtpd_recipient_restrictions = check_policy_service unix:private/policyd-spf",
                "policyd-spf_time_limit = 3600",
            ],
        )
        spf_conf = self.workdir / "policyd-spf" / "policyd-spf.conf"
        self._render(
            "postfix-master.cf.j2",
            receiver / "master.cf",
            name="receiver",
            listeners=[
                f"{RECEIVER_IP}:25 inet n - n - - smtpd",
                # The lax border: no DKIM verifier, so nothing strips forged headers.
                f"{RECEIVER_IP}:2525 inet n - n - - smtpd -o smtpd_milters=inet:{RECEIVER_IP}:8893",
            ],
            services=[
                "policyd-spf unix - n n - 0 spawn user=nobody "
                f"argv=/usr/bin/policyd-spf {spf_conf}",
            ],
        )

    # ----------------------------------------------------------------- daemons
    def _daemon(self, name: str, argv: Sequence[str], pid_file: Path | None = None) -> Daemon:
        daemon = Daemon(name, argv, self.ns, self.workdir, pid_file)
        self._daemons[name] = daemon
        daemon.start()
        return daemon

    def _postfix(self, name: str) -> Daemon:
        conf = str(self.workdir / name)
        pid_file = self.workdir / name / "queue" / "pid" / "master.pid"
        return self._daemon(f"postfix-{name}", [POSTFIX, "-c", conf, "start-fg"], pid_file)

    def _start_daemons(self, timeout: float = 30.0) -> None:
        """Start in dependency order, then wait for every listener from inside the namespace."""
        w = self.workdir
        sign = self._daemon(
            "opendkim-sign", ["opendkim", "-f", "-x", f"{w}/opendkim-sign/opendkim.conf"]
        )
        verify = self._daemon(
            "opendkim-verify", ["opendkim", "-f", "-x", f"{w}/opendkim-verify/opendkim.conf"]
        )
        dmarc = self._daemon(
            "opendmarc", ["opendmarc", "-f", "-c", f"{w}/opendmarc/opendmarc.conf"]
        )
        dovecot = self._daemon("dovecot", ["dovecot", "-F", "-c", f"{w}/dovecot/dovecot.conf"])
        receiver = self._postfix("receiver")
        relay = self._postfix("relay")
        deadline = time.monotonic() + timeout
        with self.ns.entered():
            wait_for_port(RELAY_IP, 8891, deadline, "opendkim (signing)", sign)
            wait_for_port(RECEIVER_IP, 8891, deadline, "opendkim (verifying)", verify)
            wait_for_port(RECEIVER_IP, 8893, deadline, "opendmarc", dmarc)
            for port in (143, 993, 24, SASL_PORT):
                wait_for_port(RECEIVER_IP, port, deadline, "dovecot", dovecot)
            for endpoint in (self.receiver, self.lax_receiver):
                wait_for_smtp_banner(endpoint.host, endpoint.port, deadline, receiver)
            self._wait_relay(deadline, relay)

    def _wait_relay(self, deadline: float, relay: Daemon) -> None:
        for endpoint in (self.relay, self.submission, self.shadow_relay):
            wait_for_smtp_banner(endpoint.host, endpoint.port, deadline, relay)
        wait_for_port(self.smtps.host, self.smtps.port, deadline, "relay :465", relay)

    @contextlib.contextmanager
    def relay_stopped(self) -> Iterator[None]:
        """The relay is down for the block (connections refused), then up again."""
        self._daemons["postfix-relay"].stop()
        try:
            yield
        finally:
            relay = self._postfix("relay")
            with self.ns.entered():
                self._wait_relay(time.monotonic() + 30, relay)

    # ----------------------------------------------------------------- DNS
    def edit_zone(self, zone: str, old: str, new: str) -> None:
        """Replace `old` by `new` in a lab zone, bump its serial and wait until it is served."""
        if self._knot is None:
            raise RuntimeError("the lab is not running")
        path = self.zone_dir / f"{zone}.zone"
        text = path.read_text()
        if old not in text:
            raise AssertionError(f"{old!r} not in zone {zone}")
        path.write_text(bump_serial(text.replace(old, new)))
        # No wait after the reload: the zone's TTLs are 1 s and OpenDKIM's resolver caches
        # nothing (unbound.conf: cache-max-ttl 0), so the next verification asks Knot again.
        with self.ns.entered():
            self._knot.reload(zone)

    @contextlib.contextmanager
    def zone_edited(self, zone: str, old: str, new: str) -> Iterator[None]:
        """`edit_zone` for the block, then the original text back (shared lab, other tests)."""
        self.edit_zone(zone, old, new)
        try:
            yield
        finally:
            self.edit_zone(zone, new, old)

    def dkim_key_broken(self) -> contextlib.AbstractContextManager[None]:
        """Publish a different key under the signing selector: the relay's signatures fail."""
        other = DkimKey()
        return self.zone_edited(self.sending_domain, self.dkim_key.txt_rdata(), other.txt_rdata())

    # ----------------------------------------------------------------- mail
    def send_raw(
        self,
        message: bytes,
        mail_from: str,
        rcpt_to: str,
        from_ip: str = RELAY_IP,
        helo: str = "relay.lab-sender.test",
        to: Endpoint | None = None,
    ) -> None:
        """Hand `message` straight to the receiver (or `to`), connecting from `from_ip`.

        The receiver evaluates SPF for `from_ip`: the relay's address passes, 127.0.0.11
        (the shadow sender) fails.
        """
        target = to or self.receiver
        with (
            self.ns.entered(),
            smtplib.SMTP(
                target.host,
                target.port,
                local_hostname=helo,
                source_address=(from_ip, 0),
                timeout=10,
            ) as smtp,
        ):
            smtp.sendmail(mail_from, [rcpt_to], message)

    def maildir_files(self, mailbox: str = "canary") -> list[Path]:
        """Every message file in a mailbox's Maildir (new/ and cur/), oldest first."""
        root = self.mailboxes[mailbox].maildir
        files = [f for sub in ("new", "cur") for f in (root / sub).iterdir() if f.is_file()]
        return sorted(files, key=lambda f: f.stat().st_mtime)

    # ----------------------------------------------------------------- logs
    def log_files(self) -> dict[str, Path]:
        """Every log the lab writes, by name (for failure reports and debugging)."""
        logs = {
            "postfix-relay": self.workdir / "relay" / "maillog",
            "postfix-receiver": self.workdir / "receiver" / "maillog",
            "dovecot": self.workdir / "dovecot" / "dovecot.log",
            "syslog (opendkim, opendmarc, policyd-spf)": self.workdir / "logs" / "syslog.log",
            "knot": self.workdir / "knot" / "knotd.log",
        }
        logs.update({f"{d.name} (stdout)": d.log_path for d in self._daemons.values()})
        return logs

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for name, path in self.log_files().items():
            if path.exists() and (text := path.read_text(errors="replace").strip()):
                out.append(f"--- {name}\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(out)

    def run_in_namespace(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run a command in the lab namespace (with the lab's resolv.conf)."""
        return self.ns.run(argv)
