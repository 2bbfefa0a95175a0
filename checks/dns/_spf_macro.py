"""SPF macros (RFC 7208 §7): parse them strictly, expand them only for a concrete client.

Why a module of its own: the static check must validate `%{i}._i.%{d}._d.esp.example`
without ever looking the literal text up (checkdmarc #81, PR #218; PHP-SPF-Check #54), while
`explain_ip` must expand the very same tokens for a real relay IP. One parser serves both.

Grammar (RFC 7208 §7.1, §12; ABNF strings are case-insensitive, RFC 5234 §2.3):

    macro-string  = *( macro-expand / macro-literal )
    macro-expand  = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
    macro-literal = %x21-24 / %x26-7E          ; visible characters except "%"
    macro-letter  = s l o d i p h c r t v      ; c, r, t only in "exp" text (§7.2)
    transformers  = *DIGIT [ "r" ]              ; a DIGIT value must be nonzero (§7.3)
    delimiter     = "." / "-" / "+" / "," / "/" / "_" / "="
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Mapping, Sequence

__all__ = [
    "EXP_ONLY_LETTERS",
    "MACRO_LETTERS",
    "Escape",
    "Literal",
    "Macro",
    "MacroSyntaxError",
    "Token",
    "domain_end_ok",
    "expand",
    "has_macro",
    "parse_macro_string",
    "truncate_domain",
]

MACRO_LETTERS = frozenset("slodiphv")
EXP_ONLY_LETTERS = frozenset("crt")
DELIMITERS = frozenset(".-+,/_=")
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}
# toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
_TOPLABEL = re.compile(r"(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])\Z", re.I)


class MacroSyntaxError(ValueError):
    """A macro-string breaks RFC 7208 §7.1; `position` is the offending offset."""

    def __init__(self, message: str, position: int) -> None:
        self.position = position
        super().__init__(message)


@dataclasses.dataclass(frozen=True, slots=True)
class Literal:
    """Plain text copied as it is."""

    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class Escape:
    """`%%`, `%_` or `%-`: a macro-expand in the grammar, a fixed string when expanded."""

    text: str
    value: str


@dataclasses.dataclass(frozen=True, slots=True)
class Macro:
    """`%{ letter digits r delimiters }`; an upper-case letter means URL-escape (§7.3)."""

    text: str
    letter: str
    digits: int | None
    reverse: bool
    delimiters: str
    url_escape: bool


Token = Literal | Escape | Macro


def parse_macro_string(
    text: str, *, allow_exp_letters: bool = False, allow_space: bool = False
) -> tuple[Token, ...]:
    """Split `text` into tokens, or raise MacroSyntaxError naming what is wrong and where.

    Args:
        text: the macro-string (a domain-spec, or explanation text with `allow_space`).
        allow_exp_letters: accept `c`, `r`, `t` (only legal in "exp" text, §7.2).
        allow_space: accept SP between macro-strings (explain-string, §6.2).
    """
    tokens: list[Token] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            if literal:
                tokens.append(Literal("".join(literal)))
                literal = []
            token, i = _parse_percent(text, i, allow_exp_letters)
            tokens.append(token)
            continue
        if not ("\x21" <= char <= "\x7e" or (allow_space and char == " ")):
            raise MacroSyntaxError(f"character {char!r} is not allowed here", i)
        literal.append(char)
        i += 1
    if literal:
        tokens.append(Literal("".join(literal)))
    return tuple(tokens)


def _parse_percent(text: str, i: int, allow_exp_letters: bool) -> tuple[Token, int]:
    nxt = text[i + 1 : i + 2]
    if nxt in _ESCAPES:
        return Escape(text[i : i + 2], _ESCAPES[nxt]), i + 2
    if nxt != "{":
        shown = f"%{nxt}" if nxt else "%"
        raise MacroSyntaxError(f"'{shown}' is not a macro (use %{{x}}, %%, %_ or %-)", i)
    end = text.find("}", i + 2)
    if end < 0:
        raise MacroSyntaxError("macro '%{' is not closed with '}'", i)
    body = text[i + 2 : end]
    match = re.fullmatch(r"([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)", body)
    if match is None:
        raise MacroSyntaxError(f"malformed macro '%{{{body}}}'", i)
    letter_raw, digits, reverse, delimiters = match.groups()
    letter = letter_raw.lower()
    allowed = MACRO_LETTERS | (EXP_ONLY_LETTERS if allow_exp_letters else frozenset())
    if letter not in allowed:
        where = "only in exp= text" if letter in EXP_ONLY_LETTERS else "not a macro letter"
        raise MacroSyntaxError(f"macro letter '{letter_raw}' is {where}", i)
    if digits and int(digits) == 0:
        raise MacroSyntaxError(f"macro '%{{{body}}}' keeps zero labels (must be nonzero)", i)
    token = Macro(
        text=text[i : end + 1],
        letter=letter,
        digits=int(digits) if digits else None,
        reverse=bool(reverse),
        delimiters=delimiters,
        url_escape=letter_raw.isupper(),
    )
    return token, end + 1


def has_macro(tokens: Sequence[Token]) -> bool:
    """True when expansion depends on the client (a `%{..}` is present)."""
    return any(isinstance(t, Macro) for t in tokens)


def domain_end_ok(tokens: Sequence[Token]) -> bool:
    """The domain-spec ends as §12 demands: `"." toplabel ["."]` or a macro-expand.

    This is what makes `a:192.0.2.1` (an all-numeric last label) and `include:localhost`
    (no dot) syntax errors rather than lookups of nonsense.
    """
    if not tokens:
        return False
    last = tokens[-1]
    if not isinstance(last, Literal):
        return True
    text = last.text[:-1] if last.text.endswith(".") else last.text
    head, dot, toplabel = text.rpartition(".")
    del head
    return bool(dot) and _TOPLABEL.match(toplabel) is not None


def expand(tokens: Sequence[Token], values: Mapping[str, str]) -> str:
    """Expand tokens with `values` (macro letter → value), per RFC 7208 §7.3.

    Split on the delimiters (default "."), reverse if asked, keep the rightmost N parts,
    join with "."; an upper-case macro letter URL-escapes the result.
    """
    out: list[str] = []
    for token in tokens:
        if isinstance(token, Literal):
            out.append(token.text)
        elif isinstance(token, Escape):
            out.append(token.value)
        else:
            out.append(_expand_macro(token, values[token.letter]))
    return "".join(out)


def _expand_macro(macro: Macro, value: str) -> str:
    delimiters = macro.delimiters or "."
    parts = re.split("[" + re.escape(delimiters) + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None:
        parts = parts[-macro.digits :]
    result = ".".join(parts)
    if macro.url_escape:
        result = urllib.parse.quote(result, safe="")
    return result


def truncate_domain(name: str) -> str:
    """Drop leading labels until the name fits 253 characters (§7.3, after expansion)."""
    name = name.rstrip(".")
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name
