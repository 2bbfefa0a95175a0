"""Every import of the shipped packages is the standard library, our own, or declared.

An import that only works because some other dependency happens to pull its package in
(`expiringdict` through checkdmarc, once) breaks the day that dependency drops it. This
reads every module of `monitor`, `checks` and `alerts` (lazy imports inside functions
included) and maps each top-level name to the distributions installed for it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "checks", "alerts")


def _normalise(name: str) -> str:
    """PEP 503 form of a distribution name: `PyYAML` and `pyyaml` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_normalise(re.split(r"[\s\[<>=!~;]", r.strip(), maxsplit=1)[0]) for r in requirements}


def _declared() -> tuple[set[str], set[str]]:
    """(runtime dependencies, optional extras' dependencies) named in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    optional = {
        name for key, reqs in extras.items() if key != "dev" for name in _requirement_names(reqs)
    }
    return _requirement_names(project["dependencies"]), optional


def _imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in one module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_import_of_the_shipped_packages_is_declared() -> None:
    """Stdlib, our own packages, or a distribution pyproject.toml lists; nothing by accident."""
    runtime, optional = _declared()
    providers = importlib.metadata.packages_distributions()
    undeclared: dict[str, list[str]] = {}
    for path in _modules():
        for name in _imports(path):
            if name in sys.stdlib_module_names or name in PACKAGES or name == "__future__":
                continue
            dists = {_normalise(d) for d in providers.get(name, [])}
            if not dists & (runtime | optional):
                undeclared.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"


# An extra's package may be imported only by its one adapter module, and there only inside
# a function, so that everything else (and `--help`) works without the extra installed.
OPTIONAL_ADAPTERS = {"parsedmarc": "checks/reports/parse.py"}


def _module_level_imports(path: Path) -> set[str]:
    """Top-level names imported at module level (not inside a function)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_optional_dependencies_are_imported_only_where_they_are_optional() -> None:
    """An extra's package (the PostgreSQL driver, parsedmarc) is never a hard import of ours:
    only its adapter imports it, lazily."""
    runtime, optional = _declared()
    providers = importlib.metadata.packages_distributions()
    only_optional = {
        name
        for name, dists in providers.items()
        if {_normalise(d) for d in dists} & optional
        and not {_normalise(d) for d in dists} & runtime
    }
    hard: dict[str, list[str]] = {}
    for path in _modules():
        relative = str(path.relative_to(ROOT))
        lazy_ok = {n for n, adapter in OPTIONAL_ADAPTERS.items() if adapter == relative}
        wrong = (_imports(path) & only_optional) - lazy_ok
        wrong |= _module_level_imports(path) & only_optional
        if wrong:
            hard[relative] = sorted(wrong)
    assert hard == {}, f"modules importing an optional extra's package: {hard}"


def test_the_guard_sees_lazy_imports_and_import_names_that_differ_from_project_names(
    tmp_path: Path,
) -> None:
    """The guard itself: a function-level import counts; dnspython is imported as `dns`."""
    module = tmp_path / "lazy.py"
    module.write_text(
        "from . import sibling\n"
        "def later():\n"
        "    import expiringdict.sub\n"
        "    from dns import resolver\n"
    )
    assert _imports(module) == {"expiringdict", "dns"}
    dns_dists = importlib.metadata.packages_distributions()["dns"]
    assert "dnspython" in {_normalise(d) for d in dns_dists}
    runtime, optional = _declared()
    assert {"dnspython", "checkdmarc", "sqlalchemy"} <= runtime
    assert "psycopg" in optional
    assert "expiringdict" not in runtime | optional
