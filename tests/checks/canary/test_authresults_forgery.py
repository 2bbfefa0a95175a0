"""Property: when the receiver's own results do not pass, nothing added elsewhere makes a pass.

Messages are built the way a receiver builds them: the sender's part as it arrived (its own
Received, DKIM-Signatures for s1 and s9, From, a multipart body with an attached message),
and above it what the receiver prepends, in one of three layouts:

    above    results above the border Received (Postfix + milters: one header, or one per
             method), optionally under an LMTP hop
    beneath  Received, Received-SPF, then one header (Gmail)
    none     one header and no Received at all (no border to go by)

The receiver's results do not all pass (any method may fail; in `above`/`beneath` any may be
missing, as when a milter is down), and its header may be damaged (a result cut short) or
over 64 KiB (1,200 extra results). Then headers are added where others than the receiver
write: below the receiver's part (the trusted authserv-id or not, passing, oversize,
malformed, forged Received hops, ARC and Exchange copies), inside the attached message, and
above or among the receiver's fields when they do not carry the trusted id (only the
receiver writes there, so a trusted id there is the receiver's by definition).

Whatever is added, the verdict is never pass; with a damaged or oversize receiver header it
is always error.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from checks.canary.inspect import Expectations, TrustPolicy, inspect_message

POLICY = TrustPolicy(("mx.example.net",))
EXPECT = Expectations("example.com", ("s1",))

BORDER = (
    "Received: from mail.example.com (mail.example.com [192.0.2.10])\n"
    "\tby mx.example.net (Postfix) with ESMTPS id 4BORDER\n"
    "\tfor <seed@example.net>; Sat, 28 Nov 2026 01:00:01 +0000 (UTC)\n"
)
LMTP = (
    "Received: from mx.example.net\n\tby mx.example.net with LMTP id 8Yq1\n"
    "\tfor <seed@example.net>; Sat, 28 Nov 2026 01:00:02 +0000\n"
)
RECEIVED_SPF = (
    "Received-SPF: pass (mx.example.net: 192.0.2.10 is permitted) client-ip=192.0.2.10;\n"
)
SENDER = [
    "Received: from [198.51.100.1] (unknown [198.51.100.1])\n"
    "\tby mail.example.com (Postfix) with ESMTPSA id 4SENDER\n"
    "\tfor <seed@example.net>; Sat, 28 Nov 2026 01:00:00 +0000 (UTC)\n",
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=From; bh=x; b=AbCdEfGhIjKl\n",
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s9; h=From; bh=x; b=Forged99IjKl\n",
    "From: Canary <canary@example.com>\n",
    "To: seed@example.net\n",
    "Subject: senderwatch canary sw-prop\n",
    "MIME-Version: 1.0\n",
    'Content-Type: multipart/mixed; boundary="sw-b"\n',
]
RESULT = {
    "spf": "spf={} smtp.mailfrom=example.com",
    "dkim": "dkim={} header.d=example.com header.s=s1 header.b=AbCdEfGh",
    "dmarc": "dmarc={} header.from=example.com",
}
OVERSIZE = "".join(
    f";\n\tdkim=fail header.d=example.com header.s=x{i:04d} header.b=Fail{i:04d}"
    for i in range(1200)
)
BROKEN = ";\n\tdkim=pass (the rest of this result was cut"

_PASSING = [
    "dkim=pass header.d=example.com header.s=s1 header.b=AbCdEfGh",
    "dkim=pass header.d=example.com header.s=s9 header.b=Forged99",
    "dkim=pass header.i=@example.com",
    "spf=pass smtp.mailfrom=example.com",
    "dmarc=pass header.from=example.com",
    "arc=pass",
]
_NOISE = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=80
)
_GRAMMAR = st.lists(
    st.sampled_from([*' ();="\\=./@:', "dkim", "pass", "header.d", "example.com", "none"]),
    max_size=30,
).map("".join)


def _ar(authserv: str, parts: list[str]) -> str:
    return f"Authentication-Results: {authserv}{'; ' if authserv else ''}{'; '.join(parts)}\n"


_PASS_PARTS = st.lists(st.sampled_from(_PASSING), min_size=1, max_size=5)
# What a forger who knows the rules writes: a whole pass, or just what the receiver left out.
_AIMED = st.sampled_from(
    [
        _ar("mx.example.net", [_PASSING[0], _PASSING[3], _PASSING[4]]),
        _ar("mx.example.net", [_PASSING[0]]),
        _ar("mx.example.net", [_PASSING[1]]),
        _ar("mx.example.net", [_PASSING[3], _PASSING[4]]),
    ]
)
_TRUSTED = st.one_of(
    _AIMED,
    _AIMED,
    _PASS_PARTS.map(lambda p: _ar("mx.example.net", p)),
    _PASS_PARTS.map(lambda p: _ar("MX.Example.Net", p)),
    st.lists(st.one_of(st.sampled_from(_PASSING), _NOISE, _GRAMMAR), max_size=4).map(
        lambda p: _ar("mx.example.net", p)
    ),
    _PASS_PARTS.map(lambda p: _ar("mx.example.net", p)[:-1] + " (" + "x" * 70_000 + ")\n"),
    st.just(
        "Received: from x.example.org (x.example.org [203.0.113.9])\n"
        "\tby mx.example.net with ESMTPS id F0RGED; Sat, 28 Nov 2026 00:59:00 +0000\n"
    ),
    st.just("Received: by mx.example.net with SMTP id internal; Sat, 28 Nov 2026 00:59:00 +0000\n"),
    _PASS_PARTS.map(lambda p: "ARC-Authentication-Results: i=1; " + _ar("mx.example.net", p)[24:]),
)
_UNTRUSTED = st.one_of(
    _PASS_PARTS.map(lambda p: _ar("evil.example.org", p)),
    _PASS_PARTS.map(lambda p: _ar("", p)),
    _PASS_PARTS.map(lambda p: "X-MS-Exchange-Authentication-Results: " + _ar("", p)[24:]),
    st.one_of(_NOISE, _GRAMMAR).map(
        lambda t: f"Authentication-Results: {t if t.strip() else ';'}\n"
    ),
    _PASS_PARTS.map(lambda p: _ar("", p)[:-1] + " (" + "x" * 70_000 + ")\n"),
)


@dataclass(frozen=True)
class Receiver:
    layout: str  # above, beneath, none
    results: tuple[tuple[str, str | None], ...]  # method -> result, None = not reported
    split: bool  # one header per method (above only)
    damage: str | None  # None, "oversize", "broken"
    lmtp: bool

    def fields(self) -> list[str]:
        """What the receiver prepends, topmost first."""
        headers = self._headers()
        if self.layout == "none":
            return headers
        border = (
            [BORDER, RECEIVED_SPF, *headers] if self.layout == "beneath" else [*headers, BORDER]
        )
        return ([LMTP] if self.lmtp else []) + border

    def _headers(self) -> list[str]:
        reported = [RESULT[m].format(r) for m, r in self.results if r is not None]
        groups = [[r] for r in reported] if self.split else [reported]
        headers = [
            "Authentication-Results: mx.example.net;\n\t" + ";\n\t".join(g) for g in groups if g
        ]
        if headers and self.damage:
            headers[0] += OVERSIZE if self.damage == "oversize" else BROKEN
        return [h + "\n" for h in headers]


@st.composite
def receivers(draw: st.DrawFn) -> Receiver:
    """Mostly near misses (one method short of a pass): what a forger most wants to fix."""
    layout = draw(st.sampled_from(["above", "beneath", "none"]))
    missing = [] if layout == "none" else [None]
    bad = {"spf": ["fail", "softfail"], "dkim": ["fail", "neutral"], "dmarc": ["fail"]}
    short = draw(st.sampled_from(sorted(bad)))
    results = []
    for method in ("spf", "dkim", "dmarc"):
        if method == short:
            results.append((method, draw(st.sampled_from([*bad[method], *missing]))))
        else:
            results.append(
                (method, draw(st.sampled_from(["pass", "pass", *bad[method], *missing])))
            )
    if all(r is None for _, r in results):
        results[0] = ("spf", "fail")
    return Receiver(
        layout=layout,
        results=tuple(draw(st.permutations(results))),
        split=layout == "above" and draw(st.booleans()),
        damage=draw(st.sampled_from([None, None, "oversize", "broken"])),
        lmtp=layout != "none" and draw(st.booleans()),
    )


@dataclass(frozen=True)
class Additions:
    above: tuple[tuple[int, str], ...]  # (index among the receiver's fields, field)
    below: tuple[tuple[int, str], ...]  # (index among the sender's fields, field)
    attached: tuple[str, ...]


additions = st.builds(
    Additions,
    above=st.lists(st.tuples(st.integers(0, 8), _UNTRUSTED), max_size=2).map(tuple),
    below=st.lists(
        st.tuples(st.integers(0, len(SENDER)), st.one_of(_AIMED, _TRUSTED, _UNTRUSTED)),
        max_size=5,
    ).map(tuple),
    attached=st.lists(st.one_of(_TRUSTED, _UNTRUSTED), max_size=2).map(tuple),
)


def _insert(fields: list[str], placed: tuple[tuple[int, str], ...]) -> list[str]:
    out = list(fields)
    for index, field in placed:
        out.insert(min(index, len(out)), field)
    return out


def build(receiver: Receiver, added: Additions) -> bytes:
    top = _insert(receiver.fields(), added.above)
    sender = _insert(SENDER, added.below)
    attached = "".join(added.attached) + "From: canary@example.com\nSubject: earlier\n\nold\n"
    body = (
        '\n--sw-b\nContent-Type: text/plain; charset="utf-8"\n\ncanary\n'
        f"--sw-b\nContent-Type: message/rfc822\n\n{attached}--sw-b--\n"
    )
    return ("".join(top + sender) + body).encode("utf-8", "surrogateescape")


PASS = (("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass"))
NO_DKIM = (("spf", "pass"), ("dkim", None), ("dmarc", "pass"))
FORGED_PASS = _ar("mx.example.net", [_PASSING[0], _PASSING[3], _PASSING[4]])
FORGED_DKIM = _ar("mx.example.net", [_PASSING[0]])
FORGED_HOP = (
    "Received: from x.example.org (x.example.org [203.0.113.9])\n"
    "\tby mx.example.net with ESMTPS id F0RGED; Sat, 28 Nov 2026 00:59:00 +0000\n"
)
FAIL = (("spf", "fail"), ("dkim", "fail"), ("dmarc", "fail"))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(receivers(), additions)
# The reproducer: the receiver's fail over 64 KiB, a forged pass below its Received.
@example(Receiver("above", FAIL, False, "oversize", False), Additions((), ((0, FORGED_PASS),), ()))
# The same against a receiver that writes beneath its Received (Gmail).
@example(Receiver("beneath", FAIL, False, "oversize", True), Additions((), ((0, FORGED_PASS),), ()))
# A receiver that reported no DKIM, and a forged DKIM pass right under its header.
@example(Receiver("beneath", NO_DKIM, False, None, False), Additions((), ((0, FORGED_DKIM),), ()))
# A forged hop under the real border, lifting a forged DKIM pass above "the border".
@example(
    Receiver("beneath", NO_DKIM, False, None, False),
    Additions((), ((0, FORGED_DKIM), (1, FORGED_HOP)), ()),
)
def test_no_added_header_makes_a_receivers_non_pass_a_pass(
    receiver: Receiver, added: Additions
) -> None:
    """Property: a forger can add headers anywhere but the receiver's place; none turns a pass."""
    inspection = inspect_message(build(receiver, added), POLICY, EXPECT)
    assert inspection.verdict != "pass", inspection.evidence["authentication_results"]
    if receiver.damage:
        assert inspection.verdict == "error", inspection.codes()


def test_the_builder_makes_a_passing_message_pass() -> None:
    """The property is not vacuous: the same layouts with every result passing do pass."""
    for layout in ("above", "beneath", "none"):
        results = (("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass"))
        receiver = Receiver(layout, results, split=False, damage=None, lmtp=layout != "none")
        inspection = inspect_message(build(receiver, Additions((), (), ())), POLICY, EXPECT)
        assert inspection.verdict == "pass", (layout, inspection.codes())
