"""SPF record grammar (RFC 7208 §4.5, §4.6, §5, §6, §12): pure parsing, no DNS.

Why strict and term by term: a receiver answers `permerror` for any syntax error anywhere in
the record (§4.6), so the check must name the offending term (checkdmarc #213 accepted an
empty `include:`, a doubled `redirect`, `exists` without a domain). Parsing continues past a
bad term, so the rest of the record is still shown and counted.

    record    = "v=spf1" *( 1*SP ( directive / modifier ) ) *SP
    directive = [ "+" / "-" / "?" / "~" ] mechanism
    mechanism = all / include / a / mx / ptr / ip4 / ip6 / exists
    modifier  = redirect / explanation / unknown-modifier      ; "name=value"
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re

from checks.dns._spf_macro import (
    Macro,
    MacroSyntaxError,
    Token,
    domain_end_ok,
    has_macro,
    parse_macro_string,
)

__all__ = [
    "DNS_MECHANISMS",
    "SpfRecord",
    "Term",
    "is_spf_record",
    "looks_like_spf",
    "parse_record",
]

MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
# Terms that cost a DNS lookup under §4.6.4 (plus the redirect modifier).
DNS_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)\Z", re.S)
_MECHANISM = re.compile(r"([+\-~?]?)([A-Za-z][A-Za-z0-9]*)(.*)\Z", re.S)
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4 = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}\Z")
_CIDR_SUFFIX = re.compile(r"(?P<spec>.*?)(?P<c4>/[0-9]+)?(?P<c6>//[0-9]+)?\Z", re.S)
_PREFIX = re.compile(r"(?:0|[1-9][0-9]*)\Z")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclasses.dataclass(frozen=True, slots=True)
class Term:
    """One term of a record, parsed.

    Attributes:
        text: the term as written.
        name: lower-case mechanism or modifier name ("include", "redirect", "x-foo").
        modifier: True for `name=value` terms.
        qualifier: "+", "-", "~" or "?" ("+" when omitted); "" for modifiers.
        domain_spec: the domain-spec text, or None (`a`, `mx`, `ptr` without one).
        tokens: the domain-spec as macro tokens.
        network: the ip4/ip6 network, host bits cleared.
        cidr4, cidr6: dual-cidr-length of `a`/`mx`.
        error: why the term breaks the grammar, or None.
    """

    text: str
    name: str
    modifier: bool = False
    qualifier: str = ""
    domain_spec: str | None = None
    tokens: tuple[Token, ...] = ()
    network: Network | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    error: str | None = None

    @property
    def has_macro(self) -> bool:
        return has_macro(self.tokens)

    @property
    def uses_p_macro(self) -> bool:
        return any(isinstance(t, Macro) and t.letter == "p" for t in self.tokens)

    @property
    def costs_lookup(self) -> bool:
        """Counted toward the 10 of §4.6.4 (`exp` and unknown modifiers are not)."""
        if self.modifier:
            return self.name == "redirect"
        return self.name in DNS_MECHANISMS


@dataclasses.dataclass(frozen=True, slots=True)
class SpfRecord:
    """A parsed record: every term in order, valid or not."""

    text: str
    terms: tuple[Term, ...]

    @property
    def errors(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.error)

    @property
    def mechanisms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.modifier)

    @property
    def all_term(self) -> Term | None:
        """The first `all`: it always matches, so mechanisms after it never run (§5.1)."""
        return next((t for t in self.mechanisms if t.name == "all" and not t.error), None)

    def modifier(self, name: str) -> Term | None:
        """The first valid modifier called `name` (redirect, exp)."""
        return next((t for t in self.terms if t.modifier and t.name == name and not t.error), None)

    @property
    def effective_redirect(self) -> Term | None:
        """`redirect`, unless an `all` mechanism is present anywhere in the record (§5.1)."""
        return None if self.all_term is not None else self.modifier("redirect")

    def evaluated_mechanisms(self) -> tuple[Term, ...]:
        """Mechanisms in order up to and including the first `all`."""
        out: list[Term] = []
        for term in self.mechanisms:
            out.append(term)
            if term.name == "all" and not term.error:
                break
        return tuple(out)


def is_spf_record(text: str) -> bool:
    """§4.5: the record begins with exactly "v=spf1", then a space or its end.

    The version literal is matched case-insensitively, as ABNF strings are (RFC 5234 §2.3).
    """
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def looks_like_spf(text: str) -> bool:
    """Starts like an SPF record but is not selected (e.g. `v=spf1\\tmx`, `v=spf10`)."""
    return text[:6].lower() == "v=spf1" and not is_spf_record(text)


@functools.lru_cache(maxsize=4096)
def parse_record(text: str) -> SpfRecord:
    """Parse a selected record (`is_spf_record(text)` must hold) term by term.

    Memoised by text: parsing is pure and the result immutable, and the records of shared
    ESP include chains are parsed once per process instead of once per customer domain.
    """
    if not is_spf_record(text):
        raise ValueError("not an SPF record: it must begin with 'v=spf1' and a space")
    terms: list[Term] = []
    seen_modifiers: set[str] = set()
    for raw in text[6:].split(" "):
        if not raw:
            continue
        term = parse_term(raw)
        if term.modifier and term.name in {"redirect", "exp"} and not term.error:
            if term.name in seen_modifiers:
                term = dataclasses.replace(
                    term, error=f"'{term.name}=' may appear only once in a record (§6)"
                )
            seen_modifiers.add(term.name)
        terms.append(term)
    return SpfRecord(text=text, terms=tuple(terms))


def parse_term(raw: str) -> Term:
    """Parse one space-free term into a Term (with `error` set when it is invalid)."""
    modifier = _MODIFIER.match(raw)
    if modifier is not None:
        return _parse_modifier(raw, modifier.group(1).lower(), modifier.group(2))
    mechanism = _MECHANISM.match(raw)
    if mechanism is None:
        return Term(text=raw, name="", error=f"'{raw}' is neither a mechanism nor a modifier")
    qualifier, name, rest = mechanism.groups()
    name = name.lower()
    if name not in MECHANISMS:
        if rest.startswith("=") and qualifier:
            error = f"modifier '{name}=' cannot take a qualifier"
        else:
            error = f"unknown mechanism '{name}'"
        return Term(text=raw, name=name, qualifier=qualifier or "+", error=error)
    term = Term(text=raw, name=name, qualifier=qualifier or "+")
    try:
        return _MECHANISM_PARSERS[name](term, rest)
    except _TermError as exc:
        return dataclasses.replace(term, error=str(exc))


class _TermError(ValueError):
    """Internal: a term's argument breaks the grammar."""


def _parse_modifier(raw: str, name: str, value: str) -> Term:
    term = Term(text=raw, name=name, modifier=True, domain_spec=value)
    try:
        if name in {"redirect", "exp"}:
            tokens = _domain_spec(value, f"{name}=")
        else:  # unknown-modifier = name "=" macro-string (§6: MUST be ignored, not rejected)
            tokens = _macro_string(value, f"{name}=", allow_exp_letters=True)
    except _TermError as exc:
        return dataclasses.replace(term, error=str(exc))
    return dataclasses.replace(term, tokens=tokens)


def _macro_string(value: str, what: str, *, allow_exp_letters: bool = False) -> tuple[Token, ...]:
    try:
        return parse_macro_string(value, allow_exp_letters=allow_exp_letters)
    except MacroSyntaxError as exc:
        raise _TermError(f"{what} {exc}") from None


def _domain_spec(value: str, what: str) -> tuple[Token, ...]:
    if not value:
        raise _TermError(f"{what} needs a domain")
    tokens = _macro_string(value, what)
    if not domain_end_ok(tokens):
        raise _TermError(
            f"{what} '{value}' is not a domain: it must end in '.<top label>' or a macro (§12)"
        )
    return tokens


def _prefix(text: str, limit: int, what: str) -> int:
    if not _PREFIX.match(text) or int(text) > limit:
        raise _TermError(f"{what} prefix length '/{text}' must be 0..{limit} (§12)")
    return int(text)


def _parse_all(term: Term, rest: str) -> Term:
    if rest:
        raise _TermError("'all' takes no argument")
    return term


def _parse_domain_required(term: Term, rest: str) -> Term:
    if not rest.startswith(":"):
        raise _TermError(f"'{term.name}' needs ':' and a domain")
    spec = rest[1:]
    return dataclasses.replace(term, domain_spec=spec, tokens=_domain_spec(spec, term.name))


def _parse_ptr(term: Term, rest: str) -> Term:
    if not rest:
        return term
    return _parse_domain_required(term, rest)


def _parse_a_mx(term: Term, rest: str) -> Term:
    match = _CIDR_SUFFIX.match(rest)
    assert match is not None  # the pattern matches every string
    spec, c4, c6 = match.group("spec"), match.group("c4"), match.group("c6")
    cidr4 = _prefix(c4[1:], 32, "IPv4") if c4 else None
    cidr6 = _prefix(c6[2:], 128, "IPv6") if c6 else None
    if not spec:
        return dataclasses.replace(term, cidr4=cidr4, cidr6=cidr6)
    if not spec.startswith(":"):
        raise _TermError(f"'{term.name}' must be followed by ':domain' or '/prefix'")
    domain = spec[1:]
    tokens = _domain_spec(domain, term.name)
    return dataclasses.replace(term, domain_spec=domain, tokens=tokens, cidr4=cidr4, cidr6=cidr6)


def _parse_ip(term: Term, rest: str) -> Term:
    if not rest.startswith(":") or len(rest) == 1:
        raise _TermError(f"'{term.name}' needs ':' and a network")
    address, slash, length = rest[1:].partition("/")
    v4 = term.name == "ip4"
    ip = _ip_address(address, v4)
    if ip is None:
        family = "IPv4" if v4 else "IPv6"
        raise _TermError(f"'{address}' is not an {family} address")
    bits = 32 if v4 else 128
    prefix = _prefix(length, bits, "IPv4" if v4 else "IPv6") if slash else bits
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return dataclasses.replace(term, network=network)


def _ip_address(text: str, v4: bool) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """ip4-network is four qnums (no leading zeros); ip6-network is RFC 4291 §2.2 text."""
    if v4:
        return ipaddress.IPv4Address(text) if _IP4.match(text) else None
    if "%" in text:  # a scope id is not part of RFC 4291 §2.2 text
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


_MECHANISM_PARSERS = {
    "all": _parse_all,
    "include": _parse_domain_required,
    "exists": _parse_domain_required,
    "a": _parse_a_mx,
    "mx": _parse_a_mx,
    "ptr": _parse_ptr,
    "ip4": _parse_ip,
    "ip6": _parse_ip,
}
