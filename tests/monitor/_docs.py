"""Read the contracts documented in docs/, so tests hold the code to what the docs promise."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def check_document_schema() -> dict[str, Any]:
    """The JSON Schema block of docs/json-schema.md."""
    text = (DOCS / "json-schema.md").read_text(encoding="utf-8")
    match = re.search(r"## JSON Schema.*?```json\n(.*?)```", text, re.DOTALL)
    assert match, "docs/json-schema.md lost its JSON Schema block"
    schema: dict[str, Any] = json.loads(match.group(1))
    return schema


def assert_valid_check_document(document: Any) -> None:
    """Fail with jsonschema's message when `document` breaks the documented schema."""
    jsonschema.validate(document, check_document_schema(), cls=jsonschema.Draft202012Validator)


def drift_doc_text() -> str:
    return (DOCS / "drift.md").read_text(encoding="utf-8")
