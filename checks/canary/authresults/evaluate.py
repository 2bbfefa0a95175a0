"""From believed results to verdicts: SPF, our DKIM signature, DMARC, ARC, and alignment.

Rules (RFC 7489 §3.1, RFC 8601 §2.7.1, §7.2):
- The author domain is the domain of the single From address. Zero addresses, several
  addresses over different domains, or an address without a domain leave it unknown
  (`from_problem` says why); nothing aligns with an unknown domain.
- SPF: the topmost believed `spf=` result, preferring one that names `smtp.mailfrom`; its
  domain is the mailfrom domain (the HELO domain for a null sender); aligned per `aspf`.
- DKIM: a message may carry several signatures (ours, an ESP's, RSA + ed25519), and the
  receiver reports one `dkim=` per signature. Results are matched to the message's own
  DKIM-Signature headers by `header.d`/`header.i`, `header.s` and `header.b`. Ours is the
  one aligned with the From domain (per `adkim`) that fits a signature present in the
  message and passed, preferring the expected selectors in their order; failing that an
  aligned one that fits a signature (its failure is the answer); failing that any aligned
  one; failing that the topmost naming any domain; failing that the topmost bare result.
  A pass for a signature the message does not carry never makes the verdict ok.
  Only the topmost believed header that reports any result aligned with the From domain is
  consulted for ours: a lower header (a forger's, below the receiver's) cannot add a pass
  for a signature the receiver's own header did not report.
- DMARC: the topmost believed `dmarc=` result.
- ARC: the topmost believed `arc=` result, reported only; it never changes a verdict.
- Results are normalised through `provider_results.normalise`: an unknown token is
  "indeterminate", never a pass. A method with no result is "none".
"""

from __future__ import annotations

import dataclasses
import email.utils
from collections.abc import Sequence

from checks.canary.authresults.alignment import AlignmentMode, aligned, domain_of
from checks.canary.authresults.model import ResInfo
from checks.canary.authresults.provider_results import normalise
from checks.canary.authresults.signatures import DkimSignature, dkim_identity, matches_signature
from checks.canary.authresults.trust import SourcedResult, TrustDecision

__all__ = [
    "AuthorDomain",
    "Evaluation",
    "Expectations",
    "MethodVerdict",
    "author_domain",
    "evaluate",
]

_BODY_HASH_PHRASES = ("body hash did not verify", "body hash mismatch", "bad body hash")
_EVALUATED = frozenset({"spf", "dkim", "dmarc", "arc"})


@dataclasses.dataclass(frozen=True, slots=True)
class Expectations:
    """What the canary expects of its own message.

    Attributes:
        from_domain: the domain the From address should carry (a finding when it differs).
        dkim_selectors: selectors we sign with, in order of preference; empty = any.
        adkim: DKIM alignment mode from the domain's DMARC record ("r" relaxed, "s" strict).
        aspf: SPF alignment mode from the domain's DMARC record.
    """

    from_domain: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    adkim: AlignmentMode = "r"
    aspf: AlignmentMode = "r"


@dataclasses.dataclass(frozen=True, slots=True)
class MethodVerdict:
    """One method's outcome for the canary.

    Attributes:
        method: spf, dkim, dmarc or arc.
        result: normalised result ("pass", "fail", ..., "indeterminate"; "none" if absent).
        raw: the token as written, None when the method was absent.
        mapped: True when a provider token was mapped (`hardfail` → fail).
        domain: SPF mailfrom/HELO domain, DKIM `d=`, DMARC `header.from`.
        aligned: SPF/DKIM alignment with the From domain; None for dmarc/arc.
        selector: DKIM selector (from `header.s`, else from the matched signature).
        body_hash_mismatch: DKIM said `body hash did not verify` (the body changed in transit).
        matched_signature: the DKIM result fits one of the message's DKIM-Signature headers.
        source: the believed result and header it came from.
    """

    method: str
    result: str = "none"
    raw: str | None = None
    mapped: bool = False
    domain: str | None = None
    aligned: bool | None = None
    selector: str | None = None
    body_hash_mismatch: bool = False
    matched_signature: bool = False
    source: SourcedResult | None = None

    @property
    def passed(self) -> bool:
        return self.result == "pass"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"result": self.result, "raw": self.raw}
        if self.mapped:
            data["mapped_from"] = self.raw
        if self.method in ("spf", "dkim", "dmarc"):
            data["domain"] = self.domain
        if self.method in ("spf", "dkim"):
            data["aligned"] = self.aligned
        if self.method == "dkim":
            data["selector"] = self.selector
            data["body_hash_mismatch"] = self.body_hash_mismatch
            data["matched_signature"] = self.matched_signature
        if self.source is not None:
            data["comments"] = list(self.source.result.comments)
            data["reason"] = self.source.result.reason
            data["header_position"] = self.source.header.position
        return data


@dataclasses.dataclass(frozen=True, slots=True)
class AuthorDomain:
    """The From domain, or why there is none usable."""

    domain: str | None
    addresses: tuple[str, ...]
    problem: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Evaluation:
    """Verdicts per method, plus every DKIM result examined and the methods carried along."""

    author: AuthorDomain
    spf: MethodVerdict
    dkim: MethodVerdict
    dmarc: MethodVerdict
    arc: MethodVerdict
    dkim_results: tuple[MethodVerdict, ...] = ()
    carried: tuple[ResInfo, ...] = ()

    @property
    def ok(self) -> bool:
        """Our rule: DKIM passes, aligns and fits our signature; DMARC and SPF pass."""
        dkim = self.dkim
        dkim_ok = dkim.passed and bool(dkim.aligned) and dkim.matched_signature
        return dkim_ok and self.dmarc.passed and self.spf.passed


def author_domain(from_values: Sequence[str]) -> AuthorDomain:
    """The author domain from the message's From header values (RFC 7489 §6.6.1)."""
    pairs = email.utils.getaddresses(list(from_values))
    addresses = tuple(addr for _, addr in pairs if addr)
    if not addresses:
        return AuthorDomain(None, (), "no From address")
    domains = {domain_of(a) if "@" in a else None for a in addresses}
    if None in domains:
        return AuthorDomain(None, addresses, "a From address has no domain")
    if len(from_values) > 1:
        problem: str | None = f"{len(from_values)} From header fields"
    elif len(addresses) > 1:
        problem = f"{len(addresses)} From addresses"
    else:
        problem = None
    if len(domains) > 1:
        return AuthorDomain(None, addresses, f"{problem} with different domains")
    return AuthorDomain(domains.pop(), addresses, problem)


def evaluate(
    decision: TrustDecision,
    author: AuthorDomain,
    signatures: Sequence[DkimSignature],
    expect: Expectations,
) -> Evaluation:
    """Evaluate the believed results against the author domain and expectations."""
    dkim_results = tuple(
        _dkim_verdict(s, author.domain, signatures, expect)
        for s in decision.results.get("dkim", ())
    )
    carried = tuple(
        s.result for m, found in decision.results.items() if m not in _EVALUATED for s in found
    )
    return Evaluation(
        author=author,
        spf=_spf_verdict(decision.results.get("spf", ()), author.domain, expect.aspf),
        dkim=_choose_dkim(dkim_results, expect.dkim_selectors),
        dmarc=_simple_verdict("dmarc", decision.first("dmarc")),
        arc=_simple_verdict("arc", decision.first("arc")),
        dkim_results=dkim_results,
        carried=carried,
    )


def _simple_verdict(method: str, sourced: SourcedResult | None) -> MethodVerdict:
    if sourced is None:
        return MethodVerdict(method)
    norm = normalise(method, sourced.result.result)
    domain = domain_of(sourced.result.prop("header.from")) if method == "dmarc" else None
    return MethodVerdict(method, norm.result, norm.raw, norm.mapped, domain=domain, source=sourced)


def _spf_verdict(
    found: Sequence[SourcedResult], from_domain: str | None, mode: AlignmentMode
) -> MethodVerdict:
    if not found:
        return MethodVerdict("spf", aligned=False)
    top = found[0].header.position
    same_header = [s for s in found if s.header.position == top]
    chosen = next((s for s in same_header if s.result.prop("smtp.mailfrom")), same_header[0])
    norm = normalise("spf", chosen.result.result)
    mailfrom = chosen.result.prop("smtp.mailfrom")
    domain = domain_of(mailfrom) if mailfrom and mailfrom.strip("<>") else None
    domain = domain or domain_of(chosen.result.prop("smtp.helo"))
    return MethodVerdict(
        "spf",
        norm.result,
        norm.raw,
        norm.mapped,
        domain=domain,
        aligned=aligned(domain, from_domain, mode),
        source=chosen,
    )


def _dkim_verdict(
    sourced: SourcedResult,
    from_domain: str | None,
    signatures: Sequence[DkimSignature],
    expect: Expectations,
) -> MethodVerdict:
    result = sourced.result
    norm = normalise("dkim", result.result)
    identity = dkim_identity(result)
    domain, selector, _ = identity
    fitting = [sig for sig in signatures if matches_signature(identity, sig)]
    if selector is None and fitting:
        selectors = [sig.selector for sig in fitting if sig.selector]
        preferred = [s.lower() for s in expect.dkim_selectors if s.lower() in selectors]
        selector = next(iter(preferred or selectors), None)
    texts = [c.lower() for c in result.comments] + [(result.reason or "").lower()]
    return MethodVerdict(
        "dkim",
        norm.result,
        norm.raw,
        norm.mapped,
        domain=domain,
        aligned=aligned(domain, from_domain, expect.adkim),
        selector=selector,
        body_hash_mismatch=any(p in t for t in texts for p in _BODY_HASH_PHRASES),
        matched_signature=bool(fitting),
        source=sourced,
    )


def _choose_dkim(results: Sequence[MethodVerdict], selectors: Sequence[str]) -> MethodVerdict:
    """Pick our signature's result among several (see the module docstring)."""
    if not results:
        return MethodVerdict("dkim", aligned=False)

    order: dict[str, int] = {}
    for i, selector in enumerate(selectors):
        order.setdefault(selector.lower(), i)

    def rank(verdict: MethodVerdict) -> int:
        return order.get(verdict.selector or "", len(selectors))

    def group(verdict: MethodVerdict) -> int:
        if verdict.matched_signature:
            return 0 if verdict.passed else 1
        return 2

    ours = [r for r in results if r.aligned]
    if ours:
        top = _position(ours[0])
        ours = [r for r in ours if _position(r) == top]
        return sorted(ours, key=lambda r: (group(r), rank(r)))[0]
    named = [r for r in results if r.domain]
    if named:
        return sorted(named, key=lambda r: (group(r), not r.passed))[0]
    return results[0]


def _position(verdict: MethodVerdict) -> int:
    return verdict.source.header.position if verdict.source else -1
