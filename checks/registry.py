"""Every check senderwatch can run, by id: explicit, one line each (no scans, no plugins).

`monitor` builds each check's `Config` from its settings through this table, so `checks` stays
a leaf package that imports nothing from `monitor`.
"""

from __future__ import annotations

from checks.base import Check
from checks.dns.dkim import DkimCheck
from checks.dns.dmarc import DmarcCheck
from checks.dns.mta_sts import MtaStsCheck
from checks.dns.mx import MxCheck
from checks.dns.spf import SpfCheck
from checks.dns.tlsrpt import TlsRptCheck
from checks.smtp import SmtpCheck

__all__ = ["CHECKS", "get_check"]

CHECKS: dict[str, type] = {
    "dns.spf": SpfCheck,
    "dns.dmarc": DmarcCheck,
    "dns.dkim": DkimCheck,
    "dns.mx": MxCheck,
    "dns.mta_sts": MtaStsCheck,
    "dns.tlsrpt": TlsRptCheck,
    "smtp.smtp": SmtpCheck,  # per environment: the relay's EHLO, STARTTLS, certificate, AUTH
}


def get_check(check_id: str) -> Check:
    """A new instance of the check registered as `check_id` ("dns.dmarc").

    Raises:
        KeyError: no check has that id; the message lists the ids that exist.
    """
    try:
        cls = CHECKS[check_id]
    except KeyError:
        known = ", ".join(sorted(CHECKS))
        raise KeyError(f"unknown check {check_id!r}; known checks: {known}") from None
    check: Check = cls()
    return check
