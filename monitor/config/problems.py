"""pydantic's validation errors → one readable line each, as the user's keys name them.

A problem reads `domains[1].expect.dmarc_policy: must be one of none, quarantine, reject; got
"rejct"`: key path (array indexes from 0), what is wrong, what was found. The key path is
resolved against the settings models (`_Located`), which also knows the known keys of the
table a problem is in: an unknown key gets "did you mean `timeout`?", and a key of another
plugin kind says so.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, Discriminator, Tag
from pydantic_core import ErrorDetails

from monitor.config._base import RULE_ERROR, Section

__all__ = ["describe"]


@dataclasses.dataclass
class _Located:
    """Where a pydantic location points in the settings tree."""

    path: str = ""
    model: type[BaseModel] | None = None  # the table the last key is in
    kind: str | None = None  # the plugin kind passed through, if any
    siblings: dict[str, type[BaseModel]] = dataclasses.field(default_factory=dict)
    union_kinds: tuple[str, ...] = ()  # when the location is a tagged union itself

    def add(self, part: str | int) -> None:
        if isinstance(part, int):
            self.path += f"[{part}]"
        else:
            self.path += f".{part}" if self.path else part


def _tagged_members(annotation: Any) -> dict[str, Any] | None:
    """kind → member of an `Annotated[Union[Annotated[M, Tag(k)], ...], Discriminator]`."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return None
    inner, *meta = typing.get_args(annotation)
    if not any(isinstance(m, Discriminator) for m in meta):
        return None
    members: dict[str, Any] = {}
    for member in typing.get_args(inner):
        model, *tags = typing.get_args(member)
        for tag in tags:
            if isinstance(tag, Tag):
                members[tag.tag] = model
    return members


def _strip(annotation: Any) -> Any:
    """Drop `Annotated[...]` (unless it is a tagged union) and `| None`."""
    while True:
        if _tagged_members(annotation) is not None:
            return annotation
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _field(model: type[BaseModel], key: str) -> tuple[str, Any] | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.alias or name, info.annotation
    return None


def known_keys(model: type[BaseModel]) -> list[str]:
    """The keys a table of `model` accepts, as the user writes them (aliases included)."""
    return [info.alias or name for name, info in model.model_fields.items()]


_INTERNAL = re.compile(r"^(function-|literal\[|json-or-python|lax-or-strict|nullable)")
_UNION_TAGS = {"str", "int", "float", "bool", "none", "dict", "list", "tuple"}


def locate(root: type[BaseModel], loc: tuple[int | str, ...]) -> _Located:
    """Follow `loc` through the models from `root`, skipping pydantic's own branch names."""
    out = _Located()
    current: Any = root
    for part in loc:
        current = _strip(current)
        members = _tagged_members(current)
        if members is not None:
            if isinstance(part, str) and part in members:
                out.kind, out.siblings = part, members
                current = members[part]
                continue
            out.union_kinds = tuple(members)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            found = _field(current, part)
            if found is not None:
                out.model = current
                out.add(found[0])
                current = found[1]
                continue
        origin = typing.get_origin(current)
        if origin in (tuple, list) and isinstance(part, int):
            out.add(part)
            current = typing.get_args(current)[0]
            continue
        if origin is dict and isinstance(part, str):
            out.add(part)
            current = typing.get_args(current)[1]
            continue
        if isinstance(part, str) and (_INTERNAL.match(part) or part in _UNION_TAGS):
            continue  # a validator or union branch name: pydantic's, not the user's key
        out.model = current if isinstance(current, type) else None
        out.add(part)
        current = Any
    current = _strip(current)
    if (members := _tagged_members(current)) is not None:
        out.union_kinds = tuple(members)
    return out


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "tuple_type": "an array",
    "list_type": "an array",
    "time_delta_type": 'a duration such as "90s", "30m", "4h" or "1d"',
}
_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}


def _number(value: object) -> str:
    """`0.0` → `0`, `2.5` → `2.5`: bounds read as the user wrote them."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def shown(value: object) -> str:
    """A found value as TOML would spell it (long strings shortened)."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:60]}…" ({len(value)} characters)'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return repr(value)


def describe(root: type[BaseModel], err: ErrorDetails) -> str:
    """One problem as `key.path: what is wrong; got what`."""
    where = locate(root, tuple(err["loc"]))
    kind = err["type"]
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return _kind_problem(where, err)
    path = where.path or "(top level)"
    if kind == "extra_forbidden":
        return f"{path}: {_unknown_key(where, err)}"
    if kind == "missing" and where.kind is not None:
        return f'{path}: required key is missing for kind = "{where.kind}"'
    return f"{path}: {_message(err)}"


def _kind_problem(where: _Located, err: ErrorDetails) -> str:
    given = err.get("input")
    known = ", ".join(where.union_kinds)
    path = f"{where.path}.kind" if where.path else "kind"
    if not isinstance(given, dict):
        return f"{where.path}: must be a table; got {shown(given)}"
    if "kind" not in given:
        return f"{path}: required key is missing; known kinds: {known}"
    if not isinstance(given["kind"], str):
        return f"{path}: must be a string naming one of {known}; got {shown(given['kind'])}"
    return f"{path}: unknown kind {shown(given['kind'])}; known kinds: {known}"


def _unknown_key(where: _Located, err: ErrorDetails) -> str:
    key = str(err["loc"][-1])
    model = where.model
    if model is None:
        return "unknown key"
    if where.kind is not None:
        owners = [k for k, m in where.siblings.items() if k != where.kind and _field(m, key)]
        if owners:
            kinds = " or ".join(f'kind = "{k}"' for k in owners)
            return f'unknown key for kind = "{where.kind}" (it is a key of {kinds})'
    close = difflib.get_close_matches(key, known_keys(model), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean `{close[0]}`?"
    hint = getattr(model, "unknown_table_hint", "") if issubclass(model, Section) else ""
    if hint and isinstance(err.get("input"), dict):
        return f"unknown key; {hint}"
    return "unknown key"


def _message(err: ErrorDetails) -> str:  # noqa: PLR0911 - one return per error kind reads best
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if kind in {RULE_ERROR, "value_error"}:
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return "required key is missing"
    if kind == "finite_number":
        if isinstance(given, float) and math.isnan(given):
            return "must be a number; got nan (not a number)"
        return f"must be a finite number; got {shown(given)}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"must be one of {', '.join(choices)}; got {shown(given)}"
    if kind in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[kind]}; got {shown(given)}"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "")
        return f"must be {_BOUNDS[kind]} {_number(bound)}; got {shown(given)}"
    return f"{err['msg']}; got {shown(given)}"
