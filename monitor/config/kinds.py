"""Plugin kinds in the config: a tagged union per registry, and the check that a table of
kinds matches its registry exactly.

Channels, inboxes and senders are plugins registered by kind (`alerts.channels.CHANNELS`,
`checks.canary.inbox.READERS`, `checks.canary.senders.SENDERS`). Their settings are one
model per kind; `kind_union` makes the union pydantic validates from the registry's keys, so
the config cannot accept a kind the code cannot build, nor silently default an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Union

from pydantic import BaseModel, Discriminator, Tag

from monitor.config._base import Section

__all__ = ["kind_union", "same_kinds"]


def _kind_of(default: str | None) -> Callable[[Any], str | None]:
    def kind_of(value: Any) -> str | None:
        if isinstance(value, dict):
            kind = value.get("kind", default)
        elif isinstance(value, BaseModel):
            kind = getattr(value, "kind", None)
        else:
            return None  # not a table: reported as such
        return kind if kind is None or isinstance(kind, str) else repr(kind)

    return kind_of


def same_kinds(registry: str, kinds: Iterable[str], models: Mapping[str, Any]) -> dict[str, Any]:
    """`models` in the registry's order, after checking it has exactly the registry's kinds.

    Raises:
        RuntimeError: a kind lacks its entry, or an entry has no registered kind (a
            programming error, raised at import so it cannot ship).
    """
    keys = list(kinds)
    missing, extra = set(keys) - set(models), set(models) - set(keys)
    if missing or extra:
        raise RuntimeError(
            f"{registry} and its config table disagree: without settings "
            f"{sorted(missing)}, not registered {sorted(extra)}"
        )
    return {kind: models[kind] for kind in keys}


def kind_union(
    registry: str,
    kinds: Iterable[str],
    models: Mapping[str, type[Section]],
    *,
    default: str | None = None,
) -> Any:
    """A tagged union of `models`, one member per name in `kinds` (a plugin registry's keys).

    The `kind` key picks the member, so an unknown kind is one clear error naming the known
    kinds (never a silent default), and a key of another kind is an unknown key.

    Raises:
        RuntimeError: the registry's kinds and `models` differ (see `same_kinds`).
    """
    ordered = same_kinds(registry, kinds, models)
    members = tuple(Annotated[model, Tag(kind)] for kind, model in ordered.items())
    return Annotated[Union[members], Discriminator(_kind_of(default))]  # noqa: UP007
