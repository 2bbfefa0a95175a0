"""The MTA-STS check, DNS part (RFC 8461 §3.1): is `_mta-sts.<domain>` TXT published and valid?

The record says a policy exists and names its version (`id`); senders re-fetch the policy
from `https://mta-sts.<domain>/.well-known/mta-sts.txt` when the id changes, so `mta_sts.id`
is observed for drift. Fetching and checking that HTTPS policy (mode, mx patterns against
the MX set, max_age, certificate) is later work, documented in docs/dns-checks.md; this check
makes no HTTP request.
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

__all__ = ["Config", "MtaStsCheck"]


@dataclasses.dataclass(frozen=True)
class Config:
    """The MTA-STS check has no settings yet; the dataclass keeps the contract uniform."""


MtaStsConfig = Config  # the name `Config` is shadowed inside the check class


class MtaStsCheck:
    """Measures a domain's `_mta-sts` TXT record."""

    kind = "dns"
    scope = "domain"
    name = "mta_sts"
    Config = Config
    # A published policy that disappears leaves senders free to skip TLS again.
    drift_rules = (Rule("mta_sts.present", "true", WARNING),)

    @classmethod
    def configure(cls, target: DomainTarget) -> MtaStsConfig:
        """This check's settings for one configured domain."""
        return MtaStsConfig()

    def run(self, subject: str, config: MtaStsConfig, ctx: CheckContext) -> CheckResult:
        """Check the MTA-STS record of `subject` (U-labels allowed)."""
        domain = to_alabel(subject)
        return run_measurement(
            self.name, subject, ctx, lambda out: _measure(ctx.resolver, domain, out)
        )


def _measure(resolver: Resolver, domain: str, out: Outcome) -> None:
    parsed = measure_txt_policy(
        resolver,
        f"_mta-sts.{domain}",
        version="v=STSv1",
        parse=_checkdmarc.parse_mta_sts_record,
        check="mta_sts",
        out=out,
    )
    if parsed is not None:
        out.observations["mta_sts.id"] = parsed.tags.get("id", "")
