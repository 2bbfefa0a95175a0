"""DNS resolution for checks: explicit nameservers, retries on transient errors, a per-run cache.

Why not dnspython's resolver alone: a monitor must tell "the record is gone" (NXDOMAIN, NODATA)
from "could not ask" (timeout, SERVFAIL, REFUSED), retry only the second kind, and never let a
cache outlive one run, or a changed record stays hidden (checkdmarc #90, its DNS_CACHE).

Exception tree:
    DnsUnavailable          the question could not be answered after all retries
                            (`cause` is "timeout", "servfail", "refused" or "network")
    UnaskableName           no query can carry the name (over 255 octets, a label over 63,
                            an empty label, not IDNA): nothing is sent, nothing failed

NXDOMAIN and NODATA are not exceptions: they are answers (`Answer.exists`, `Answer.records`).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import idna
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from checks.dns.names import parse_nameserver, to_alabel, to_ulabel

__all__ = [
    "MAX_NAME_OCTETS",
    "Answer",
    "DnsUnavailable",
    "Resolver",
    "UnaskableName",
    "name_problem",
    "parse_nameserver",
    "to_alabel",
    "to_ulabel",
    "wire_octets",
]


class DnsUnavailable(Exception):
    """A DNS question could not be answered (after retries): the check cannot measure."""

    def __init__(self, name: str, rdtype: str, cause: str, detail: str = "") -> None:
        self.name = name
        self.rdtype = rdtype
        self.cause = cause
        self.detail = detail
        super().__init__(f"{rdtype} {name}: {cause}" + (f" ({detail})" if detail else ""))


MAX_NAME_OCTETS = 255  # RFC 1035 §2.3.4, in wire form: 253 characters of text
MAX_LABEL_OCTETS = 63
_ASKABLE = re.compile(r"[^.]{1,63}(?:\.[^.]{1,63})*")


class UnaskableName(ValueError):
    """A name no DNS query can carry (RFC 1035 §2.3.4), so no record can exist at it.

    Checks build names by prefixing (`_dmarc.`, `<selector>._domainkey.`, `_smtp._tls.`), so a
    domain that is itself valid can yield one. Not a `DnsUnavailable`: nothing failed and
    nothing is worth retrying; each check says what a name that cannot exist means for it.

    Attributes:
        name: the name as built (A-labels where they could be made).
        reason: "name_too_long", "label_too_long", "empty_label" or "not_idna".
        octets: the length of the name in wire form (a length octet per label, plus the root).
    """

    def __init__(self, name: str, reason: str, octets: int) -> None:
        self.name = name
        self.reason = reason
        self.octets = octets
        why = {
            "name_too_long": f"{octets} octets, over the {MAX_NAME_OCTETS}-octet limit",
            "label_too_long": f"a label over {MAX_LABEL_OCTETS} octets",
            "empty_label": "an empty label",
            "not_idna": "a label that is not a valid IDN",
        }[reason]
        super().__init__(f"{name}: {why}")

    @property
    def code(self) -> str:
        """The finding code: `dns.name_too_long`, else `dns.invalid_name`."""
        return "dns.name_too_long" if self.reason == "name_too_long" else "dns.invalid_name"


def wire_octets(name: str) -> int:
    """Length of a text name (no trailing dot) in DNS wire form: each label with its length
    octet, plus the root's zero octet."""
    return len(name.encode("utf-8")) + 2 if name else 1


def name_problem(name: str) -> UnaskableName | None:
    """Why no query can carry `name` (text, U- or A-labels), or None when one can."""
    try:
        alabel = to_alabel(name)
    except (idna.IDNAError, UnicodeError):
        return UnaskableName(name, "not_idna", wire_octets(name.strip().rstrip(".")))
    return _alabel_problem(alabel)


def _alabel_problem(alabel: str) -> UnaskableName | None:
    if len(alabel) <= MAX_NAME_OCTETS - 2 and _ASKABLE.fullmatch(alabel):
        return None  # the common case, checked on every cache miss: one regex, no split
    octets = wire_octets(alabel)
    labels = alabel.split(".")
    if any(not label for label in labels):
        return UnaskableName(alabel, "empty_label", octets)
    if any(len(label) > MAX_LABEL_OCTETS for label in labels):
        return UnaskableName(alabel, "label_too_long", octets)
    if octets > MAX_NAME_OCTETS:
        return UnaskableName(alabel, "name_too_long", octets)
    return None


class _Transient(Exception):
    """Internal: one attempt failed in a way worth retrying."""

    def __init__(self, cause: str, detail: str) -> None:
        self.cause = cause
        self.detail = detail
        super().__init__(f"{cause}: {detail}")


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question.

    `records` holds each record in text form; TXT records are the concatenation of their
    character-strings with nothing added (RFC 7208 §3.3, RFC 6376 §3.6.2.2), decoded as
    UTF-8 with replacement. `strings` keeps the original split for evidence.
    `cname_chain` lists the names followed, first the name asked.
    """

    name: str
    rdtype: str
    records: tuple[str, ...]
    strings: tuple[tuple[str, ...], ...] = ()
    nxdomain: bool = False
    cname_chain: tuple[str, ...] = ()
    ttl: int = 0
    nameserver: str = ""

    @property
    def exists(self) -> bool:
        """False on NXDOMAIN; True on NODATA (the name exists, the type does not)."""
        return not self.nxdomain

    @property
    def void(self) -> bool:
        """A void lookup in the sense of RFC 7208 §4.6.4: NXDOMAIN or no records."""
        return self.nxdomain or not self.records


class Resolver:
    """Thread-safe resolver with retries and a cache that lives as long as this object.

    Make one per run (`fresh()`), so a record changed between two runs is always seen, while
    include chains shared by many domains (ESP SPF includes) are asked once per run.

    Args:
        nameservers: `host` or `host:port` strings; empty means the system's resolv.conf.
        timeout: seconds for one attempt (all nameservers), per RFC 7208 §4.6.4 spirit.
        retries: extra attempts after a transient failure (timeout, SERVFAIL, REFUSED).
        backoff: initial backoff in seconds, doubled per retry with jitter.
        max_cached: answers kept (least recently used dropped first); a dropped answer is
            only asked again, never wrong.
    """

    def __init__(
        self,
        nameservers: Sequence[str] = (),
        timeout: float = 2.0,
        retries: int = 2,
        backoff: float = 0.2,
        max_cached: int = 4096,
    ) -> None:
        self.nameserver_specs = tuple(nameservers)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._resolver = self._make_dnspython_resolver()
        # Least recently used first. Bounded: a run of many domains asks each domain's own
        # names once, while shared include chains are asked again and again and stay.
        self._cache: OrderedDict[tuple[str, str], tuple[float, Answer | DnsUnavailable]] = (
            OrderedDict()
        )
        self.max_cached = max_cached
        self._inflight: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()
        # One retry policy for all threads (tenacity keeps per-call state thread-local).
        self._retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(retries + 1),
            wait=wait_exponential_jitter(multiplier=backoff, max=2.0, jitter=backoff),
            reraise=False,
        )
        self.queries_sent = 0
        self.cache_hits = 0

    def _make_dnspython_resolver(self) -> dns.resolver.Resolver:
        if self.nameserver_specs:
            res = dns.resolver.Resolver(configure=False)
            res.nameservers = [
                dns.nameserver.Do53Nameserver(host, port)
                for host, port in map(parse_nameserver, self.nameserver_specs)
            ]
        else:
            res = dns.resolver.Resolver()
        # Per-server attempt timeout; `lifetime` bounds one whole attempt across servers.
        res.timeout = min(self.timeout, 1.0) if len(res.nameservers) > 1 else self.timeout
        res.lifetime = self.timeout
        res.cache = None
        return res

    def fresh(self) -> Resolver:
        """A resolver with the same settings and an empty cache (one per run)."""
        return Resolver(
            self.nameserver_specs, self.timeout, self.retries, self.backoff, self.max_cached
        )

    def has_answer(self, name: str, rdtype: str) -> bool:
        """True when `query(name, rdtype)` would be answered from this run's cache (callers
        that fan out to threads skip the hand-off for questions already answered)."""
        key = (to_alabel(name), rdtype.upper())
        with self._lock:
            cached = self._cache.get(key)
            return cached is not None and cached[0] > time.monotonic()

    def txt(self, name: str) -> Answer:
        return self.query(name, "TXT")

    def query(self, name: str, rdtype: str) -> Answer:
        """Ask `rdtype` for `name`, through the per-run cache.

        Raises:
            DnsUnavailable: after retries the question still timed out or failed.
            UnaskableName: no query can carry `name`; nothing was sent.
        """
        try:
            key = (to_alabel(name), rdtype.upper())
        except (idna.IDNAError, UnicodeError):
            raise UnaskableName(name, "not_idna", wire_octets(name)) from None
        while True:
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None and cached[0] > time.monotonic():
                    self.cache_hits += 1
                    self._cache.move_to_end(key)
                    return _raise_or_return(cached[1])
                # Checked on a miss only: a cached name was askable.
                problem = _alabel_problem(key[0])
                if problem is not None:
                    raise problem
                waiter = self._inflight.get(key)
                if waiter is None:
                    self._inflight[key] = threading.Event()
                    break
            # Another thread is asking the same question: share its answer.
            waiter.wait()
        try:
            value: Answer | DnsUnavailable = self._query_with_retries(*key)
        except DnsUnavailable as exc:
            value = exc
        except BaseException:
            # Anything else dnspython raises (names it refuses are caught above as
            # UnaskableName): nothing to cache, but waiters must be released or they would
            # block forever.
            with self._lock:
                self._inflight.pop(key).set()
            raise
        with self._lock:
            ttl = 30.0 if isinstance(value, DnsUnavailable) else max(value.ttl, 1)
            self._cache[key] = (time.monotonic() + ttl, value)
            if len(self._cache) > self.max_cached:
                self._cache.popitem(last=False)  # least recently used
            self._inflight.pop(key).set()
        return _raise_or_return(value)

    def _query_with_retries(self, name: str, rdtype: str) -> Answer:
        try:
            return self._retrying(self._query_once, name, rdtype)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            assert isinstance(last, _Transient)
            raise DnsUnavailable(name, rdtype, last.cause, last.detail) from None

    def _query_once(self, name: str, rdtype: str) -> Answer:
        with self._lock:
            self.queries_sent += 1
        try:
            result = self._resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            return Answer(name, rdtype, (), nxdomain=True, ttl=_negative_ttl(exc))
        except dns.resolver.LifetimeTimeout as exc:
            raise _Transient("timeout", f"no answer within {self.timeout:g}s") from exc
        except dns.resolver.NoNameservers as exc:
            looping = _overlong_chain_response(exc)
            if looping is not None:
                return _answer_from_chain(name, rdtype, looping)
            raise _Transient(*_classify_no_nameservers(exc)) from exc
        except dns.exception.Timeout as exc:
            raise _Transient("timeout", str(exc)) from exc
        except OSError as exc:
            raise _Transient("network", str(exc)) from exc
        return _answer_from(name, rdtype, result)


def _raise_or_return(value: Answer | DnsUnavailable) -> Answer:
    if isinstance(value, DnsUnavailable):
        raise value
    return value


def _classify_no_nameservers(exc: dns.resolver.NoNameservers) -> tuple[str, str]:
    """Name the rcode the servers gave (SERVFAIL, REFUSED, ...) from dnspython's error list;
    when no server could even be reached (every error an OSError: no route, connection
    refused), the cause is `network`, not a SERVFAIL nobody sent."""
    text = str(exc)
    errors = exc.kwargs.get("errors") or []
    if errors and all(isinstance(item[3], OSError) for item in errors if len(item) > 3):
        return "network", text
    for cause in ("SERVFAIL", "REFUSED", "NOTIMP", "FORMERR"):
        if cause in text:
            return cause.lower(), text
    return "servfail", text


def _overlong_chain_response(exc: dns.resolver.NoNameservers) -> dns.message.Message | None:
    """The response dnspython refused because its CNAME chain runs past 16 names (a loop
    inside one zone, or a very long in-zone chain): an answer about the domain, not a failure
    of the server, so it is neither retried nor reported as SERVFAIL."""
    for error in exc.kwargs.get("errors") or ():
        if isinstance(error[3], dns.message.ChainTooLong) and error[4] is not None:
            response: dns.message.Message = error[4]
            return response
    return None


def _answer_from_chain(name: str, rdtype: str, response: dns.message.Message) -> Answer:
    """The CNAME chain of `response` from `name`, up to the first repeated name, no records."""
    targets: dict[str, str] = {}
    ttl = 300
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            owner = str(rrset.name).rstrip(".").lower()
            targets[owner] = str(rrset[0].target).rstrip(".").lower()
            ttl = min(ttl, rrset.ttl)
    chain = [name]
    while chain[-1] in targets and chain.count(chain[-1]) == 1:
        chain.append(targets[chain[-1]])
    return Answer(name, rdtype, (), cname_chain=tuple(chain), ttl=int(ttl))


def _negative_ttl(exc: dns.resolver.NXDOMAIN) -> int:
    try:
        response = next(iter(exc.responses().values()))
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                return int(min(rrset.ttl, rrset[0].minimum))
    except (StopIteration, AttributeError, IndexError):
        pass
    return 60


def _answer_from(name: str, rdtype: str, result: dns.resolver.Answer) -> Answer:
    response = result.response
    chain = [name]
    for cname in response.answer:
        if cname.rdtype == dns.rdatatype.CNAME:
            chain.append(str(cname[0].target).rstrip(".").lower())
    records: list[str] = []
    strings: list[tuple[str, ...]] = []
    ttl = 300
    rrset = result.rrset
    if rrset is not None:
        ttl = rrset.ttl
        for rdata in rrset:
            if rdata.rdtype == dns.rdatatype.TXT:
                parts = tuple(s.decode("utf-8", "replace") for s in rdata.strings)
                strings.append(parts)
                records.append("".join(parts))
            else:
                records.append(rdata.to_text())
    else:
        for rr in response.authority:
            if rr.rdtype == dns.rdatatype.SOA:
                ttl = min(rr.ttl, rr[0].minimum)
    return Answer(
        name=name,
        rdtype=rdtype,
        records=tuple(records),
        strings=tuple(strings),
        cname_chain=tuple(chain) if len(chain) > 1 else (),
        ttl=int(ttl),
        nameserver=str(result.nameserver or ""),
    )
