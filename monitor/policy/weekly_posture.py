"""Current posture and "what to fix", from the latest result of each check (pure).

`posture(latest)` turns the newest result of each check into one line per record: SPF
(lookups used of 10), DKIM per selector (key type and size), DMARC (policy, pct, reporting),
MX, MTA-STS, TLS-RPT and the relay (TLS, certificate days left), each with its verdict and
its standing warnings. `fixes(latest, ...)` lists what to change, most severe first, each
naming the exact record or setting: a finding code we know gets a concrete change, any other
finding its own message and the record it was about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from checks.result import CheckResult, Finding, Severity, Status
from monitor.policy.weekly_model import Fix, Mark, PostureItem

__all__ = ["SEVERITY_RANK", "fixes", "posture", "record_name"]

_MARK = {
    Status.PASS: Mark.PASS,
    Status.WARN: Mark.WARN,
    Status.FAIL: Mark.FAIL,
    Status.ERROR: Mark.ERROR,
}
_ORDER = ("spf", "dkim", "dmarc", "mx", "mta_sts", "tlsrpt", "smtp")
_NAMES = {
    "spf": "SPF",
    "dmarc": "DMARC",
    "mx": "MX",
    "mta_sts": "MTA-STS",
    "tlsrpt": "TLS-RPT",
    "smtp": "Relay TLS",
}
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def _warnings(findings: tuple[Finding, ...]) -> tuple[str, ...]:
    return tuple(f.message for f in findings if f.severity is not Severity.INFO)


def posture(latest: Mapping[str, CheckResult]) -> tuple[PostureItem, ...]:
    """One line per record from the newest result of each check (`check -> result`)."""
    items: list[PostureItem] = []
    for check in _ORDER:
        result = latest.get(check)
        if result is None:
            items.append(PostureItem(_NAMES.get(check, "DKIM"), Mark.UNKNOWN, "no data", (), None))
            continue
        if check == "dkim":
            items += _dkim(result)
            continue
        summary = _SUMMARY[check](result.observations, result.evidence)
        items.append(
            PostureItem(
                _NAMES[check],
                _MARK[result.status],
                summary,
                _warnings(result.findings),
                result.started_at,
            )
        )
    if "smtp" not in latest:
        items = [i for i in items if i.name != "Relay TLS"]  # no relay: not a gap
    return tuple(items)


def _spf(obs: Mapping[str, object], _ev: Mapping[str, object]) -> str:
    if not obs.get("spf.present"):
        return "no SPF record"
    return (
        f"{obs.get('spf.lookups', '?')} of 10 DNS lookups used, "
        f"{obs.get('spf.void_lookups', 0)} void; ends {obs.get('spf.all') or 'without all'}"
    )


def _dmarc(obs: Mapping[str, object], _ev: Mapping[str, object]) -> str:
    if not obs.get("dmarc.present"):
        return "no DMARC record"
    rua = obs.get("dmarc.rua") or ""
    reporting = f"reports to {rua}" if rua else "no aggregate reports (rua unset)"
    return f"p={obs.get('dmarc.p')} pct={obs.get('dmarc.pct', 100)}, {reporting}"


def _mx(obs: Mapping[str, object], _ev: Mapping[str, object]) -> str:
    return str(obs.get("mx.hosts") or "no MX")


def _mta_sts(obs: Mapping[str, object], _ev: Mapping[str, object]) -> str:
    if not obs.get("mta_sts.present"):
        return "no MTA-STS record"
    return f"published (id {obs.get('mta_sts.id')})"


def _tlsrpt(obs: Mapping[str, object], _ev: Mapping[str, object]) -> str:
    if not obs.get("tlsrpt.present"):
        return "no TLS-RPT record"
    return f"reports to {obs.get('tlsrpt.rua')}"


def _smtp(obs: Mapping[str, object], ev: Mapping[str, object]) -> str:
    if not obs.get("smtp.starttls"):
        return "no STARTTLS offered"
    days = ev.get("cert_days_left")
    cert = "certificate valid" if obs.get("smtp.cert_valid") else "certificate NOT valid"
    left = f", {days} days left" if isinstance(days, int) else ""
    return f"STARTTLS, {obs.get('smtp.tls_version', '?')}, {cert}{left}"


_SUMMARY = {
    "spf": _spf,
    "dmarc": _dmarc,
    "mx": _mx,
    "mta_sts": _mta_sts,
    "tlsrpt": _tlsrpt,
    "smtp": _smtp,
}


def _dkim(result: CheckResult) -> list[PostureItem]:
    obs = result.observations
    selectors = sorted(
        {k.split(".")[1] for k in obs if k.startswith("dkim.") and k.count(".") >= 2}
    )
    if not selectors:
        warn = _warnings(result.findings)
        return [PostureItem("DKIM", _MARK[result.status], "no selectors", warn, result.started_at)]
    items = []
    for sel in selectors:
        mine = tuple(f for f in result.findings if f.details.get("selector") in (sel, None))
        if not obs.get(f"dkim.{sel}.present"):
            mark, summary = Mark.FAIL, "no key published"
        elif obs.get(f"dkim.{sel}.revoked"):
            mark, summary = Mark.FAIL, "key revoked (empty p=)"
        else:
            bits = obs.get(f"dkim.{sel}.key_bits")
            kind = obs.get(f"dkim.{sel}.key_type", "?")
            summary = f"{kind} {bits} bits" if bits else str(kind)
            mark = _worst(mine)
        items.append(PostureItem(f"DKIM {sel}", mark, summary, _warnings(mine), result.started_at))
    return items


def _worst(findings: tuple[Finding, ...]) -> Mark:
    if any(f.severity is Severity.CRITICAL for f in findings):
        return Mark.FAIL
    if any(f.severity is Severity.WARNING for f in findings):
        return Mark.WARN
    return Mark.PASS


def record_name(check: str, domain: str, environment: str | None) -> str:
    """Where the record of `check` lives (or the relay / config key for the relay)."""
    return {
        "spf": f"TXT {domain}",
        "dmarc": f"TXT _dmarc.{domain}",
        "dkim": f"TXT <selector>._domainkey.{domain}",
        "mx": f"MX {domain}",
        "mta_sts": f"TXT _mta-sts.{domain} and https://mta-sts.{domain}/.well-known/mta-sts.txt",
        "tlsrpt": f"TXT _smtp._tls.{domain}",
        "smtp": f"the relay of environment {environment}",
    }.get(check, check)


_CHANGES = {
    "spf.too_many_lookups": "flatten or drop includes until the record needs at most 10 lookups",
    "spf.too_many_void_lookups": "remove mechanisms that point at names that do not exist",
    "spf.missing": 'publish "v=spf1 <your senders> -all"',
    "spf.all_pass": "end the record with -all (or ~all), never +all",
    "spf.all_neutral": "end the record with -all (or ~all) instead of ?all",
    "spf.no_all": "end the record with -all (or ~all)",
    "spf.multiple_records": "merge the SPF records into one TXT record",
    "dmarc.missing": 'publish "v=DMARC1; p=none; rua=mailto:<reports address>" and tighten later',
    "dmarc.policy_none": "raise p=none to p=quarantine, then p=reject, once reports are clean",
    "dmarc.policy_below_expected": "raise p= to the policy the config expects",
    "dmarc.no_rua": "add rua=mailto:<reports address> to receive aggregate reports",
    "dmarc.pct_partial": "set pct=100 (or drop pct) so the policy covers all mail",
    "dmarc.multiple_records": "keep exactly one v=DMARC1 TXT record",
    "dkim.selector_missing": "publish the selector's public key (v=DKIM1; k=rsa; p=...)",
    "dkim.key_too_short": "rotate to a 2048-bit RSA key under a new selector",
    "dkim.key_weak": "rotate to a 2048-bit RSA key under a new selector",
    "dkim.key_revoked": "sign with a selector that has a key, or republish this one",
    "dkim.testing": "remove t=y from the key record once signing works",
    "mx.missing": "publish MX records for the domain (or a null MX if it receives no mail)",
    "smtp.starttls_missing": "enable STARTTLS on the relay",
    "smtp.cert_expiring": "renew the relay's TLS certificate",
    "smtp.cert_invalid": (
        "install a certificate that matches the relay's name and chains to a trusted CA"
    ),
}


def fixes(
    latest: Mapping[str, CheckResult], domain: str, environment: str | None
) -> tuple[Fix, ...]:
    """What to change, most severe first: one line per warning or failure finding."""
    out: list[Fix] = []
    for check in _ORDER:
        result = latest.get(check)
        if result is None:
            continue
        for f in result.findings:
            if f.severity is Severity.INFO or f.unmeasurable:
                continue
            where = record_name(check, domain, environment)
            if check == "dkim" and f.details.get("selector"):
                where = f"TXT {f.details['selector']}._domainkey.{domain}"
            change = _CHANGES.get(f.code, f.message)
            record = result.evidence.get("record")
            if isinstance(record, str) and record:
                change = f'{change} (now: "{record}")'
            out.append(Fix(f.severity.value, f.message, change, where))
    return tuple(sorted(out, key=lambda x: SEVERITY_RANK.get(x.severity, 3)))


def days_left(result: CheckResult | None, now: dt.datetime) -> int | None:
    """The relay certificate's days left as of the result (evidence, not an observation)."""
    if result is None:
        return None
    value = result.evidence.get("cert_days_left")
    return value if isinstance(value, int) else None
