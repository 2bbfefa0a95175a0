"""JSON output: one serialiser for every document senderwatch prints."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JSON_VERSION", "to_json"]

JSON_VERSION = 1
"""Bumped only on a breaking change of a document's shape (docs/json-schema.md)."""


def to_json(document: dict[str, Any]) -> str:
    """Indented JSON; `default=str` because check evidence may hold values JSON has no type for."""
    return json.dumps(document, indent=2, sort_keys=False, default=str, ensure_ascii=False)
