"""The DKIM key check (RFC 6376, RFC 8301, RFC 8463): one result per domain, all selectors.

Selectors cannot be discovered from DNS (internet.nl #839), so they are configured. For each:
    1. ask TXT at `<selector>._domainkey.<domain>`, following CNAMEs to the ESP that hosts the
       key (`_lookup.chase`); multi-string TXT records arrive joined;
    2. tell "no such selector" from "CNAME present, key absent" (an ESP or M365 with DKIM
       switched off: cammurray/orca #5), and flag several TXT records at one selector;
    3. parse the key record (`_dkim_key`) and judge it: type allowed, RSA size (RFC 8301 §3.2:
       under 1024 bits is unusable, under 2048 is weak, over 4096 may not verify), revoked,
       testing, sha1-only (RFC 8301 §3.1: no signature with such a key verifies), service.

checkdmarc has no DKIM checks, so nothing here goes through `_checkdmarc`.
"""

from __future__ import annotations

import dataclasses

from checks.base import CheckContext, DomainTarget
from checks.dns._dkim_key import KNOWN_KEY_TYPES, DkimKey, DkimKeyError, parse_dkim_key
from checks.dns._envelope import Outcome, run_measurement
from checks.dns._lookup import CnameChainBroken, answer_evidence, chase
from checks.dns.resolver import (
    Answer,
    DnsUnavailable,
    Resolver,
    UnaskableName,
    to_alabel,
    to_ulabel,
)
from checks.drift_rules import Ceiling, Rule
from checks.result import CheckResult, Severity

__all__ = ["Config", "DkimCheck"]

CRITICAL, WARNING, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO
RSA_MINIMUM_BITS = 1024  # RFC 8301 §3.2: verifiers MUST NOT accept smaller keys
RSA_RECOMMENDED_BITS = 2048  # RFC 8301 §3.2: signers SHOULD use at least this
RSA_MAXIMUM_VERIFIED_BITS = 4096  # RFC 8301 §3.2: verifiers MUST handle keys only up to this


@dataclasses.dataclass(frozen=True)
class Config:
    """DKIM expectations.

    Attributes:
        selectors: selectors to check at the domain (case-insensitive).
        min_key_bits: RSA keys below this (or below 2048) are a warning.
        allowed_key_types: key types (`k=`) the operator accepts.
    """

    selectors: tuple[str, ...] = ()
    min_key_bits: int = 2048
    allowed_key_types: tuple[str, ...] = ("rsa", "ed25519")


DkimConfig = Config  # the name `Config` is shadowed inside the check class


class DkimCheck:
    """Measures the DKIM keys published at a domain's configured selectors."""

    kind = "dns"
    scope = "domain"
    name = "dkim"
    Config = Config
    # RFC 6376 §3.6.1: empty p= revokes; t=y is testing; RFC 8301: key size
    drift_rules = (
        Rule("dkim.*.present", "true", CRITICAL),
        # RSA bits: verifiers must handle keys up to 4096 bits only (RFC 8301 §3.2), so a larger
        # key is not stronger for mail: 2048 → 16384 and back are both a neutral change.
        Rule("dkim.*.key_bits", Ceiling(4096), CRITICAL),
        Rule("dkim.*.revoked", "false", CRITICAL),
        Rule("dkim.*.testing", "false", WARNING),
    )

    @classmethod
    def configure(cls, target: DomainTarget) -> DkimConfig:
        """This check's settings for one configured domain."""
        return DkimConfig(
            selectors=target.dkim_selectors,
            min_key_bits=target.min_dkim_bits,
            allowed_key_types=target.dkim_key_types,
        )

    def run(self, subject: str, config: DkimConfig, ctx: CheckContext) -> CheckResult:
        """Check every selector of `config` at `subject` (U-labels allowed)."""
        domain = to_alabel(subject)
        return run_measurement(
            self.name, subject, ctx, lambda out: _measure(ctx.resolver, domain, config, out)
        )


def _measure(resolver: Resolver, domain: str, config: Config, out: Outcome) -> None:
    selectors = list(dict.fromkeys(s.strip().lower() for s in config.selectors if s.strip()))
    if not selectors:
        out.add(
            "dkim.no_selectors",
            WARNING,
            "No DKIM selectors are configured for this domain, so no key was checked "
            "(selectors cannot be discovered from DNS: list them in dkim_selectors).",
        )
        return
    out.evidence["selectors"] = {}
    for selector in selectors:
        try:
            _measure_selector(resolver, domain, selector, config, out)
        except DnsUnavailable as exc:
            out.unavailable(exc)


def _measure_selector(
    resolver: Resolver, domain: str, selector: str, config: Config, out: Outcome
) -> None:
    name = f"{selector}._domainkey.{domain}"
    shown = to_ulabel(name)
    prefix = f"dkim.{selector}"
    answer = _ask_selector(resolver, name, selector, out)
    if answer is None:
        return
    out.evidence["selectors"][selector] = answer_evidence(answer)
    chain = list(answer.cname_chain)
    out.observations[f"{prefix}.cname"] = chain[-1] if chain else ""
    if not answer.records:
        out.observations[f"{prefix}.present"] = False
        if chain:
            out.add(
                "dkim.cname_key_absent",
                CRITICAL,
                f"{shown} is a CNAME to {chain[-1]}, which holds no key: signatures with "
                f"selector {selector} fail (DKIM switched off at the provider?).",
                selector=selector,
                chain=chain,
            )
        else:
            out.add(
                "dkim.selector_missing",
                CRITICAL,
                f"No DKIM key at {shown}: signatures with selector {selector} fail.",
                selector=selector,
                nxdomain=answer.nxdomain,
            )
        return
    out.observations[f"{prefix}.present"] = True
    records = sorted(answer.records)
    if len(records) > 1:
        out.add(
            "dkim.multiple_records",
            WARNING,
            f"{shown} holds {len(records)} TXT records; verifiers may pick any of them.",
            selector=selector,
            records=records,
        )
    key = _first_key(selector, records, shown, out)
    if key is not None:
        _observe(prefix, key, out)
        _judge_key(selector, key, config, shown, out)


def _ask_selector(resolver: Resolver, name: str, selector: str, out: Outcome) -> Answer | None:
    """The answer at the selector's name; None, with a finding, when there can be no key.

    A selector that cannot form a name, a name over 255 octets, a CNAME loop and a chain longer
    than resolvers follow each get their own finding: "no key" would send the operator to the
    wrong place.
    """
    prefix = f"dkim.{selector}"
    try:
        return chase(resolver, name, "TXT")
    except UnaskableName as exc:
        out.evidence["selectors"][selector] = {"name": exc.name, "problem": str(exc)}
        if exc.reason != "name_too_long":
            out.add(
                "dkim.selector_invalid",
                CRITICAL,
                f"Selector {selector!r} cannot form a DNS name ({exc}); no key can be found.",
                selector=selector,
            )
            return None
        out.observations[f"{prefix}.present"] = False
        out.unaskable(
            exc,
            CRITICAL,
            f"no key can be published there, so signatures with selector {selector} fail "
            "(a shorter selector or domain is needed).",
            selector=selector,
        )
    except CnameChainBroken as exc:
        out.evidence["selectors"][selector] = {"name": name, "cname_chain": list(exc.chain)}
        out.observations[f"{prefix}.present"] = False
        out.observations[f"{prefix}.cname"] = exc.chain[-1]
        out.cname_broken(
            exc,
            "dkim",
            CRITICAL,
            f"verifiers never reach a key, so signatures with selector {selector} fail.",
            selector=selector,
        )
    return None


def _first_key(selector: str, records: list[str], shown: str, out: Outcome) -> DkimKey | None:
    """The first record (in sorted order) that parses; a key_invalid finding if none does."""
    first_error: DkimKeyError | None = None
    for record in records:
        try:
            return parse_dkim_key(record)
        except DkimKeyError as exc:
            first_error = first_error or exc
    assert first_error is not None
    out.add(
        "dkim.key_invalid",
        CRITICAL,
        f"The DKIM key record at {shown} is unusable ({first_error}).",
        selector=selector,
        tag=first_error.tag,
        value=first_error.value[:80],
        reason=first_error.reason,
    )
    return None


def _observe(prefix: str, key: DkimKey, out: Outcome) -> None:
    out.observations[f"{prefix}.key_type"] = key.key_type
    out.observations[f"{prefix}.revoked"] = key.revoked
    out.observations[f"{prefix}.testing"] = key.testing
    if key.key_bits is not None:
        out.observations[f"{prefix}.key_bits"] = key.key_bits
    if key.key_sha256 is not None:
        out.observations[f"{prefix}.key_sha256"] = key.key_sha256


def _judge_key(selector: str, key: DkimKey, config: Config, shown: str, out: Outcome) -> None:
    """Findings about one readable key record."""
    if key.key_type not in config.allowed_key_types:
        out.add(
            "dkim.key_type_not_allowed",
            CRITICAL,
            f"{shown} publishes a {key.key_type} key; allowed: "
            f"{', '.join(config.allowed_key_types)}.",
            selector=selector,
            key_type=key.key_type,
        )
    elif key.key_type not in KNOWN_KEY_TYPES and not key.revoked:
        out.add(
            "dkim.key_invalid",
            CRITICAL,
            f"{shown} publishes a {key.key_type} key, which verifiers cannot use.",
            selector=selector,
            tag="k",
            value=key.key_type,
            reason="unknown_key_type",
        )
    if key.revoked:
        out.add(
            "dkim.key_revoked",
            CRITICAL,
            f"The key at {shown} is revoked (empty p=): signatures with it fail.",
            selector=selector,
        )
    _judge_size(selector, key, config, shown, out)
    _judge_flags(selector, key, shown, out)


def _judge_size(selector: str, key: DkimKey, config: Config, shown: str, out: Outcome) -> None:
    if key.key_type != "rsa" or key.key_bits is None:
        return
    bits = key.key_bits
    if bits < RSA_MINIMUM_BITS:
        out.add(
            "dkim.key_too_short",
            CRITICAL,
            f"The RSA key at {shown} has {bits} bits; verifiers reject keys under "
            f"{RSA_MINIMUM_BITS} bits (RFC 8301 §3.2).",
            selector=selector,
            key_bits=bits,
        )
    elif bits > RSA_MAXIMUM_VERIFIED_BITS:
        out.add(
            "dkim.key_too_long",
            WARNING,
            f"The RSA key at {shown} has {bits} bits; verifiers are only required to handle "
            f"keys up to {RSA_MAXIMUM_VERIFIED_BITS} bits (RFC 8301 §3.2), so receivers may "
            "fail to verify its signatures.",
            selector=selector,
            key_bits=bits,
            limit_bits=RSA_MAXIMUM_VERIFIED_BITS,
        )
    elif bits < max(RSA_RECOMMENDED_BITS, config.min_key_bits):
        out.add(
            "dkim.key_weak",
            WARNING,
            f"The RSA key at {shown} has {bits} bits; at least "
            f"{max(RSA_RECOMMENDED_BITS, config.min_key_bits)} are expected.",
            selector=selector,
            key_bits=bits,
            expected_bits=max(RSA_RECOMMENDED_BITS, config.min_key_bits),
        )


def _judge_flags(selector: str, key: DkimKey, shown: str, out: Outcome) -> None:
    if key.testing:
        out.add(
            "dkim.testing",
            WARNING,
            f"The key at {shown} has t=y: verifiers may treat its signatures as absent.",
            selector=selector,
        )
    if key.hashes is not None and "sha256" not in key.hashes:
        if "sha1" in key.hashes:
            out.add(
                "dkim.sha1_only",
                CRITICAL,
                f"The key at {shown} allows only sha1 (h=sha1): verifiers must not accept "
                "sha1 signatures (RFC 8301 §3.1) and must refuse this key for sha256 ones "
                "(RFC 6376 §6.1.2), so every signature made with it fails.",
                selector=selector,
                hashes=list(key.hashes),
            )
        else:
            out.add(
                "dkim.key_invalid",
                CRITICAL,
                f"The key at {shown} allows no hash verifiers support.",
                selector=selector,
                tag="h",
                value=":".join(key.hashes),
                reason="no_supported_hash",
            )
    if "*" not in key.services and "email" not in key.services:
        out.add(
            "dkim.service_not_email",
            CRITICAL,
            f"The key at {shown} is restricted to services {':'.join(key.services)}, not email.",
            selector=selector,
        )
