"""Result tokens normalised: RFC / IANA results kept, provider tokens mapped, rest indeterminate.

Receivers write tokens outside the IANA "Email Authentication Result Names" registry. Each one
we accept is listed in `PROVIDER_TOKENS` with where it comes from; every other token that is
not valid for its method becomes "indeterminate", which no rule ever treats as a pass: a
token we cannot read is no evidence either way (real receivers write `perm_fail`,
`bestguesspass`, `hardfail`). The table is documented in docs/authentication-results.md.

Methods we do not evaluate (compauth, dara, x-*, bimi, iprev, ...) are carried through with
their token as written: they are reported, never decide.
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "INDETERMINATE",
    "PROVIDER_TOKENS",
    "RFC_RESULTS",
    "NormalisedResult",
    "normalise",
]

INDETERMINATE = "indeterminate"

RFC_RESULTS: dict[str, frozenset[str]] = {
    # RFC 8601 §2.7 and the IANA registry of result names per method.
    "auth": frozenset({"none", "pass", "fail", "temperror", "permerror"}),
    "dkim": frozenset({"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}),
    "domainkeys": frozenset(
        {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}
    ),
    "spf": frozenset(
        {"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror", "policy"}
    ),
    "sender-id": frozenset(
        {"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror", "policy"}
    ),
    "iprev": frozenset({"pass", "fail", "temperror", "permerror"}),
    "dmarc": frozenset({"none", "pass", "fail", "temperror", "permerror"}),  # RFC 7489 §11.2
    "arc": frozenset({"none", "pass", "fail"}),  # RFC 8617 §10.2
    "dkim-atps": frozenset({"none", "pass", "fail", "temperror", "permerror", "neutral"}),
    "vbr": frozenset({"none", "pass", "fail", "temperror", "permerror"}),
    "rrvs": frozenset({"none", "unknown", "temperror", "pass", "fail", "permerror"}),
    "smime": frozenset({"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}),
    "bimi": frozenset({"pass", "none", "fail", "temperror", "declined", "skipped"}),
}

# (method, token as written, lower case) -> RFC result. Each line says who writes it.
PROVIDER_TOKENS: dict[tuple[str, str], str] = {
    # RFC 5451 §2.4.3 / RFC 4408 spelling, still emitted by older filters.
    ("spf", "hardfail"): "fail",
    ("sender-id", "hardfail"): "fail",
    # Yahoo (older headers) and some milters write underscore forms.
    ("dkim", "perm_fail"): "permerror",
    ("dkim", "temp_fail"): "temperror",
    ("spf", "perm_fail"): "permerror",
    ("spf", "temp_fail"): "temperror",
    ("dmarc", "perm_fail"): "permerror",
    ("dmarc", "temp_fail"): "temperror",
    # (No entry for "error", RFC 5451 era: it cannot say whether it was temporary, so it
    # stays indeterminate.)
    # DKIM has no soft failure: a receiver writing dkim=softfail / hardfail saw a failure.
    ("dkim", "softfail"): "fail",
    ("dkim", "hardfail"): "fail",
    # Microsoft 365: no DMARC record published, but SPF/DKIM would have aligned. A domain with
    # no record has no DMARC result to pass: it is "none".
    ("dmarc", "bestguesspass"): "none",
}


@dataclasses.dataclass(frozen=True, slots=True)
class NormalisedResult:
    """A result token after normalisation.

    Attributes:
        result: the RFC result, or "indeterminate" for an unknown token of a known method,
            or the raw token for a method we do not evaluate.
        raw: the token as written (lower case).
        mapped: True when `PROVIDER_TOKENS` turned `raw` into `result`.
        known_method: True when the method is in `RFC_RESULTS`.
    """

    result: str
    raw: str
    mapped: bool = False
    known_method: bool = True

    @property
    def indeterminate(self) -> bool:
        return self.result == INDETERMINATE


def normalise(method: str, token: str) -> NormalisedResult:
    """Normalise `token` for `method` (both matched case-insensitively).

    Never returns "pass" for a token that is not exactly `pass` in the RFC set.
    """
    method = method.lower()
    token = token.lower()
    valid = RFC_RESULTS.get(method)
    if valid is None:
        return NormalisedResult(token, token, known_method=False)
    if token in valid:
        return NormalisedResult(token, token)
    mapped = PROVIDER_TOKENS.get((method, token))
    if mapped is not None:
        return NormalisedResult(mapped, token, mapped=True)
    return NormalisedResult(INDETERMINATE, token)
