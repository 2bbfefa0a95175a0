"""The `[environments.NAME]` config block that sends a canary through the mail lab, shared by
the CLI and daemon end-to-end tests."""

from __future__ import annotations

from tests.support.mail_lab import Endpoint, MailLab

PASSWORD_ENV = "LAB_IMAP_PASSWORD"  # the name of a variable, not a secret


def lab_environment(lab: MailLab, name: str, relay: Endpoint, to: str, timeout: float) -> str:
    box = lab.mailbox("canary")
    return f"""
[environments.{name}]
domain = "{lab.sending_domain}"
from = "canary@{lab.sending_domain}"
to = "{to}"
dkim_selectors = ["{lab.selector}"]
timeout = {timeout}
[environments.{name}.smtp]
host = "{relay.host}"
port = {relay.port}
security = "none"
timeout = 5
[environments.{name}.inbox]
host = "{lab.imap.host}"
port = {lab.imap.port}
security = "none"
username = "{box.username}"
password_env = "{PASSWORD_ENV}"
poll_interval = 0.5
trusted_authserv_ids = ["{lab.authserv_id}"]
"""
