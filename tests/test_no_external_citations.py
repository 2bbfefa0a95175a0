"""The repository stands alone: no citation of notes that are not in it.

Docs, docstrings and comments once pointed at a design note, a style guide, field notes and
short bracketed source tags that live outside this repository, so a reader could not follow
them. Each was replaced by what it said; this keeps new ones out. Public references a reader
can follow (an RFC section, `checkdmarc #90`) are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}
BINARY_SUFFIXES = {".bin", ".pyc", ".sqlite", ".db"}

CITATIONS = re.compile(
    r"DESIGN\.md|STYLE\.md|FIELD-NOTES|\.\./shared"
    r"|\[(?:BB|AM|HC|PD|CD|SL|HX|AP)(?:\]|[ ,])"  # [BB], [AM RedactURL], [HX, SL typing.py]
    r"|\bSTYLE (?:habit )?\d"
    r"|\b(?:design|field) notes\b",
    re.IGNORECASE,
)


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p in SKIPPED_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        if path.is_file() and path.suffix not in BINARY_SUFFIXES:
            yield path


def citations(root: Path, skip: Path | None = None) -> dict[str, list[str]]:
    """Every line under `root` that cites a note outside the repository, by file."""
    found: dict[str, list[str]] = {}
    for path in _files(root):
        if path == skip:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if CITATIONS.search(line):
                found.setdefault(str(path.relative_to(root)), []).append(f"{number}: {line}")
    return found


def test_no_file_cites_notes_outside_the_repository() -> None:
    """A reader must be able to follow every reference from the repository alone."""
    assert citations(ROOT, skip=Path(__file__).resolve()) == {}


def test_the_scan_reads_docs_code_and_config_and_catches_each_form(tmp_path: Path) -> None:
    """The guard is not vacuous: it reads the files that matter and flags every form."""
    scanned = {str(p.relative_to(ROOT)) for p in _files(ROOT)}
    assert {"README.md", "docs/architecture.md", "config.example.toml"} <= scanned
    assert "monitor/engine/runner.py" in scanned
    planted = [
        "see DESIGN.md",
        "(STYLE habit 9)",
        "[STYLE 9]",
        "FIELD-NOTES §5",
        "../shared/notes",
        "the envelope [BB]",
        "[AM RedactURL]",
        "[HX, SL typing.py]",
        "where we departed from the design notes",
    ]
    (tmp_path / "doc.md").write_text("\n".join(planted) + "\n[dns]\nRFC 7208 §4.6.4 [RFC]\n")
    hits = citations(tmp_path)["doc.md"]
    assert [h.split(": ", 1)[1] for h in hits] == planted
