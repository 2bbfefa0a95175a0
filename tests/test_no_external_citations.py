"""The repository stands alone: no citation of notes that are not in it.

Docs, docstrings and comments once pointed at notes that live outside this repository, so a
reader could not follow them. Each was replaced by what it said; this keeps new ones out.
The rules are general, so this file names none of those notes:
- every Markdown file a line names (`something.md`) must be a file of the repository;
- no path leaves the repository (`../folder/`);
- no short bracketed source tag (`[XY]`, `[XY detail]`, `[XY, ZW ...]`);
- no "design notes", "field notes" or "style habit N" without the note itself at hand.
Public references a reader can follow (an RFC section, `checkdmarc #90`) are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}
BINARY_SUFFIXES = {".bin", ".pyc", ".sqlite", ".db"}

CITATIONS = re.compile(
    r"(?<![\w/])\.\./[A-Za-z]"  # a path out of the repository (not `/cfg/../data`)
    r"|\[[A-Z]{2}(?:\]| [A-Z]|, [A-Z]{2}\b)"  # a source tag: [XY], [XY Detail], [XY, ZW ...]
    r"|(?i:\bstyle (?:habit )?\d|\[style \d|\b(?:design|field)[ -]notes\b)",
)
MARKDOWN_NAME = re.compile(r"(?<![\w.-])[A-Za-z][\w-]*\.md\b(?!=)")  # not `header.md=`


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p in SKIPPED_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        if path.is_file() and path.suffix not in BINARY_SUFFIXES:
            yield path


def _missing_markdown(line: str, present: set[str]) -> bool:
    """The line names a Markdown file that is not in the repository."""
    return any(Path(name).name not in present for name in MARKDOWN_NAME.findall(line))


def citations(root: Path, skip: Path | None = None) -> dict[str, list[str]]:
    """Every line under `root` that cites a note outside the repository, by file."""
    found: dict[str, list[str]] = {}
    present = {p.name for p in _files(root) if p.suffix == ".md"}
    for path in _files(root):
        if path == skip:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if CITATIONS.search(line) or _missing_markdown(line, present):
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
        "see ELSEWHERE.md",
        "(style habit 9)",
        "[STYLE 9]",
        "the Field-Notes, §5",
        "../outside/notes",
        "the envelope [XY]",
        "[QZ RedactURL]",
        "[XY, ZW typing.py]",
        "where we departed from the design notes",
    ]
    followable = "\n[dns]\nRFC 7208 §4.6.4 [RFC]\nsee doc.md\nsqlite:////cfg/../data/sw.db\n"
    (tmp_path / "doc.md").write_text("\n".join(planted) + followable)
    hits = citations(tmp_path)["doc.md"]
    assert [h.split(": ", 1)[1] for h in hits] == planted
