"""check_host() for one concrete client (RFC 7208 §4-§7): what a receiver would decide.

Why next to a static tree walk: the canary issue must say *why* SPF failed for the relay that
actually sent ("192.0.2.7 matched -all; to pass it would have to match ip4:198.51.100.0/24"),
and macro-based hosted SPF (`exists:%{i}._i.%{d}._d.espf.example`) can only be judged for a
real IP. Only here are macros expanded.

Errors unwind as exceptions, because `include` and `redirect` pass temperror and permerror
through unchanged (§5.2, §6.1):
    SpfError
      ├── PermError   the domain's SPF is broken for every client
      └── TempError   DNS could not answer; a receiver would try again later
"""

from __future__ import annotations

import dataclasses
import ipaddress
import time
from collections.abc import Callable
from typing import Any, ClassVar

from checks.dns._spf_grammar import SpfRecord, Term, is_spf_record, parse_record
from checks.dns._spf_macro import Macro, Token, expand, parse_macro_string, truncate_domain
from checks.dns._spf_tree import MAX_MX_HOSTS, valid_domain
from checks.dns.resolver import Answer, DnsUnavailable, to_alabel, to_ulabel

__all__ = ["Evaluator", "Match", "Outcome", "PermError", "SpfError", "TempError"]

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MAX_PTR_NAMES = 10


class SpfError(Exception):
    """An error result that ends the whole evaluation."""

    result = ""


class PermError(SpfError):
    result = "permerror"


class TempError(SpfError):
    result = "temperror"


@dataclasses.dataclass(frozen=True)
class Match:
    """The mechanism that decided, where it was, and the includes/redirects that led there."""

    term: Term
    domain: str
    record: str
    via: tuple[str, ...]
    inner: Match | None = None  # for a matching include: what matched inside it

    def describe(self) -> str:
        """`<term> in the SPF record of <domain>: "<record>"`, plus an include's inner match."""
        via = "".join(f" via {v}" for v in self.via)
        shown = to_ulabel(self.domain)
        text = f'{self.term.text} in the SPF record of {shown}{via}: "{self.record}"'
        if self.inner is not None:
            text += f" (inside it: {self.inner.innermost()})"
        return text

    def innermost(self) -> str:
        if self.inner is not None:
            return self.inner.innermost()
        return f"{self.term.text} in {to_ulabel(self.domain)}"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """check_host()'s result for one domain, with the decisive match (if any)."""

    result: str
    domain: str
    record: str | None = None
    match: Match | None = None
    skipped_pass: tuple[str, ...] = ()  # pass mechanisms tried before the decision


class Evaluator:
    """One check_host() evaluation: shared lookup and void counters across includes (§4.6.4).

    Args:
        ip: the client address (IPv4-mapped IPv6 is treated as IPv4).
        sender: MAIL FROM address; empty means the null path, so `postmaster@<helo>` (§4.3).
        helo: the HELO/EHLO name (%{h}).
        resolver: a `checks.dns.resolver.Resolver`.
    """

    def __init__(
        self,
        ip: IP,
        sender: str,
        helo: str,
        resolver: Any,
        *,
        max_lookups: int = 10,
        max_void_lookups: int = 2,
    ) -> None:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        self.ip: IP = ip
        self.helo = helo
        local, _, sender_domain = sender.rpartition("@") if sender else ("", "", helo)
        self.sender_domain = sender_domain or helo
        self.local = local or "postmaster"
        self.sender = f"{self.local}@{self.sender_domain}"
        self.resolver = resolver
        self.max_lookups = max_lookups
        self.max_void_lookups = max_void_lookups
        self.lookups = 0
        self.voids = 0
        self.trace: list[str] = []
        self._p_value: str | None = None
        self._inner: Match | None = None  # set by a matching include, read by _evaluate

    @property
    def family(self) -> str:
        return "A" if self.ip.version == 4 else "AAAA"

    # -- check_host ---------------------------------------------------------------------

    def check_host(
        self, domain: str, via: tuple[str, ...] = (), term_query: bool = False
    ) -> Outcome:
        """Evaluate `domain`'s record for this client; raise PermError/TempError on errors."""
        if not valid_domain(domain):
            self.trace.append(f"{domain}: not a valid domain name, result none (§4.3)")
            return Outcome("none", domain)
        answer = self._ask(domain, "TXT", void_counts=term_query)
        found = [r for r in answer.records if is_spf_record(r)]
        if not found:
            self.trace.append(f"{domain}: no SPF record, result none")
            return Outcome("none", domain)
        if len(found) > 1:
            raise PermError(f"{domain} publishes {len(found)} SPF records (§4.5)")
        record = parse_record(found[0])
        if record.errors:
            bad = record.errors[0]
            raise PermError(f"syntax error in {domain}'s record at '{bad.text}': {bad.error}")
        self.trace.append(f"{domain}: {record.text}")
        return self._evaluate(domain, record, via)

    def _evaluate(self, domain: str, record: SpfRecord, via: tuple[str, ...]) -> Outcome:
        tried_pass: list[str] = []
        for term in record.evaluated_mechanisms():
            if term.costs_lookup:
                self._count_lookup(term, domain)
            self._inner = None
            if self._matches(term, domain, via):
                result = RESULTS[term.qualifier]
                self.trace.append(f"{domain}: '{term.text}' matched, result {result}")
                match = Match(term, domain, record.text, via, self._inner)
                return Outcome(result, domain, record.text, match, tuple(tried_pass))
            if term.qualifier == "+":
                tried_pass.append(f"{term.text} ({domain})")
        redirect = record.effective_redirect
        if redirect is not None:
            self._count_lookup(redirect, domain)
            target = self._domain(redirect, domain)
            outcome = self.check_host(target, (*via, f"{domain} redirect={target}"), True)
            if outcome.result == "none":
                raise PermError(f"redirect={target} from {domain}: target has no SPF record (§6.1)")
            return dataclasses.replace(outcome, skipped_pass=(*tried_pass, *outcome.skipped_pass))
        self.trace.append(f"{domain}: nothing matched, result neutral (§4.7)")
        return Outcome("neutral", domain, record.text, None, tuple(tried_pass))

    def _count_lookup(self, term: Term, domain: str) -> None:
        self.lookups += 1
        if self.lookups > self.max_lookups:
            raise PermError(
                f"more than {self.max_lookups} DNS lookups, exceeded at '{term.text}' in "
                f"{domain} (§4.6.4)"
            )

    # -- mechanisms ---------------------------------------------------------------------

    def _matches(self, term: Term, domain: str, via: tuple[str, ...]) -> bool:
        """Does mechanism `term` (in `domain`'s record) match this client? (§5)"""
        name = term.name
        if name == "all":
            return True
        if name in {"ip4", "ip6"}:
            assert term.network is not None
            return self.ip.version == term.network.version and self.ip in term.network
        target = self._domain(term, domain)
        if name == "include":
            inner = self.check_host(target, (*via, f"{domain} include:{target}"), True)
            if inner.result == "none":
                raise PermError(f"include:{target} from {domain}: no SPF record there (§5.2)")
            self._inner = inner.match
            return inner.result == "pass"
        return self._match_by_name[name](self, term, target)

    def _match_exists(self, term: Term, target: str) -> bool:
        del term
        return bool(self._ask(target, "A", void_counts=True).records)  # always A (§5.7)

    def _match_a(self, term: Term, target: str) -> bool:
        return self._in_addresses(self._ask(target, self.family, void_counts=True).records, term)

    def _in_addresses(self, addresses: tuple[str, ...], term: Term) -> bool:
        prefix = term.cidr4 if self.ip.version == 4 else term.cidr6
        for text in addresses:
            bits = self.ip.max_prefixlen if prefix is None else prefix
            network = ipaddress.ip_network(f"{text}/{bits}", strict=False)
            if self.ip in network:
                return True
        return False

    def _match_mx(self, term: Term, target: str) -> bool:
        answer = self._ask(target, "MX", void_counts=True)
        hosts = [h for h in (r.split()[-1].rstrip(".") for r in answer.records) if h]
        if len(hosts) > MAX_MX_HOSTS:
            raise PermError(
                f"'{term.text}': {target} has {len(hosts)} MX hosts; more than "
                f"{MAX_MX_HOSTS} address lookups per mx is a permerror (§4.6.4)"
            )
        for host in hosts:
            if valid_domain(host) and self._in_addresses(
                self._ask(host, self.family).records, term
            ):
                return True
        return False

    def _validated_names(self) -> list[str]:
        """PTR names of the client that resolve back to it (§5.5); errors just skip."""
        try:
            answer = self._ask(self._reverse_name(), "PTR", void_counts=True)
        except TempError:
            return []  # "If a DNS error occurs while doing the PTR RR lookup ... fails to match"
        names = [r.rstrip(".").lower() for r in answer.records][:MAX_PTR_NAMES]
        validated = []
        for name in names:
            try:
                if valid_domain(name) and str(self.ip) in self._addresses(name):
                    validated.append(name)
            except TempError:
                continue
        return validated

    def _addresses(self, name: str) -> set[str]:
        records = self._ask(name, self.family).records
        return {str(ipaddress.ip_address(r)) for r in records}

    def _match_ptr(self, term: Term, target: str) -> bool:
        del term
        target = target.lower()
        return any(n == target or n.endswith("." + target) for n in self._validated_names())

    _match_by_name: ClassVar[dict[str, Callable[[Evaluator, Term, str], bool]]] = {
        "exists": _match_exists,
        "a": _match_a,
        "mx": _match_mx,
        "ptr": _match_ptr,
    }

    def _reverse_name(self) -> str:
        return self.ip.reverse_pointer

    # -- DNS and macros -----------------------------------------------------------------

    def _ask(self, name: str, rdtype: str, void_counts: bool = False) -> Answer:
        """One query; DNS failure is temperror (§4.4), a void may be one too many (§4.6.4).

        A name no query can carry (an expansion with an empty or overlong label) matches
        nothing and is not asked, as receivers do (§4.3, §4.8).
        """
        if not valid_domain(name):
            self.trace.append(f"{rdtype} {name!r}: not a valid domain name, not asked")
            return Answer(name, rdtype, ())
        try:
            answer: Answer = self.resolver.query(name, rdtype)
        except DnsUnavailable as exc:
            self.trace.append(f"{rdtype} {name}: {exc.cause}")
            raise TempError(f"DNS could not answer {rdtype} {name}: {exc.cause}") from exc
        if void_counts and answer.void:
            self.voids += 1
            self.trace.append(f"{rdtype} {name}: void lookup {self.voids}")
            if self.voids > self.max_void_lookups:
                raise PermError(
                    f"more than {self.max_void_lookups} void lookups, exceeded at "
                    f"{rdtype} {name} (§4.6.4)"
                )
        return answer

    def _domain(self, term: Term, domain: str) -> str:
        """The target of a term: its domain-spec expanded, else the current domain."""
        if term.domain_spec is None:
            return domain
        name = truncate_domain(self.expand(term.tokens, domain))
        try:
            return to_alabel(name)
        except ValueError:
            return name  # not a valid name: the lookup is skipped as invalid (§4.3)

    def macro_values(self, domain: str, with_p: bool = False) -> dict[str, str]:
        """Values of the macro letters for this client (§7.2).

        `p` costs PTR and address lookups, so it is computed only when a macro uses it.
        """
        if self.ip.version == 4:
            i_value = str(self.ip)
        else:
            i_value = ".".join(self.ip.exploded.replace(":", ""))
        return {
            "s": self.sender,
            "l": self.local,
            "o": self.sender_domain,
            "d": domain,
            "i": i_value,
            "p": self._p(domain) if with_p else "unknown",
            "v": "in-addr" if self.ip.version == 4 else "ip6",
            "h": self.helo,
            "c": str(self.ip),
            "r": "unknown",
            "t": str(int(time.time())),
        }

    def expand(self, tokens: tuple[Token, ...], domain: str) -> str:
        with_p = any(isinstance(t, Macro) and t.letter == "p" for t in tokens)
        return expand(tokens, self.macro_values(domain, with_p))

    def _p(self, domain: str) -> str:
        """%{p}: a validated name of the client, preferring `domain` (§7.3); "unknown" if none."""
        if self._p_value is None:
            names = self._validated_names()
            best = [n for n in names if n == domain or n.endswith("." + domain)]
            self._p_value = (best or names or ["unknown"])[0]
        return self._p_value

    def explanation_text(self, domain: str, record: str | None) -> str | None:
        """The domain's own `exp=` text for a fail (§6.2); None when absent or broken."""
        if record is None:
            return None
        exp = parse_record(record).modifier("exp")
        if exp is None:
            return None
        try:
            target = self._domain(exp, domain)
            answer: Answer = self.resolver.txt(target)
            if len(answer.records) != 1:
                return None
            tokens = parse_macro_string(answer.records[0], allow_exp_letters=True, allow_space=True)
            return self.expand(tokens, domain)
        except (DnsUnavailable, ValueError, SpfError):
            return None
