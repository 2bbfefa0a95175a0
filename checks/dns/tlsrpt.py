"""The SMTP TLS Reporting check (RFC 8460 §3): is `_smtp._tls.<domain>` TXT published and valid?

Without it, sending MTAs that fail TLS to the domain's MX (or fail its MTA-STS policy) have
nowhere to report, so a broken certificate goes unnoticed. `tlsrpt.rua` is observed so a
changed report destination shows as drift.
"""

from __future__ import annotations

import dataclasses

from checks.base import CheckContext, DomainTarget
from checks.dns import _checkdmarc
from checks.dns._envelope import Outcome, run_measurement
from checks.dns._txt_policy import measure_txt_policy
from checks.dns.resolver import Resolver, to_alabel
from checks.drift_rules import WARNING, Rule
from checks.result import CheckResult

__all__ = ["Config", "TlsRptCheck"]


@dataclasses.dataclass(frozen=True)
class Config:
    """The TLS-RPT check has no settings yet; the dataclass keeps the contract uniform."""


TlsRptConfig = Config  # the name `Config` is shadowed inside the check class


class TlsRptCheck:
    """Measures a domain's `_smtp._tls` TXT record."""

    kind = "dns"
    scope = "domain"
    name = "tlsrpt"
    Config = Config
    # Without the record, receivers stop reporting TLS failures: the team goes blind.
    drift_rules = (Rule("tlsrpt.present", "true", WARNING),)

    @classmethod
    def configure(cls, target: DomainTarget) -> TlsRptConfig:
        """This check's settings for one configured domain."""
        return TlsRptConfig()

    def run(self, subject: str, config: TlsRptConfig, ctx: CheckContext) -> CheckResult:
        """Check the TLS-RPT record of `subject` (U-labels allowed)."""
        domain = to_alabel(subject)
        return run_measurement(
            self.name, subject, ctx, lambda out: _measure(ctx.resolver, domain, out)
        )


def _measure(resolver: Resolver, domain: str, out: Outcome) -> None:
    parsed = measure_txt_policy(
        resolver,
        f"_smtp._tls.{domain}",
        version="v=TLSRPTv1",
        parse=_checkdmarc.parse_tlsrpt_record,
        check="tlsrpt",
        out=out,
    )
    if parsed is not None:
        out.observations["tlsrpt.rua"] = ",".join(sorted({uri.lower() for uri in parsed.rua}))
