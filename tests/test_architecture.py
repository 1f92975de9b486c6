"""The layers stay layers: what each package may import, no cycles, small modules.

Read from the source with ``ast`` (lazy imports inside functions count too: a cycle hidden
in a function is still a cycle), so the rules hold without importing anything.
docs/architecture.md states the same rules in words; a test below keeps its module names
real.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "cloudinary_presets"
MAX_LINES = 600

#: layer -> the layers it may import (besides itself). Order: low to high.
ALLOWED: dict[str, set[str]] = {
    "_version": set(),
    "errors": set(),
    "files": {"errors"},
    "model": {"errors", "_version"},
    "definitions": {"model", "files", "errors", "_version"},
    "cloudinary": {"model", "files", "errors", "_version"},
    "planning": {"cloudinary", "definitions", "model", "files", "errors", "_version"},
    "operations": {
        "files",
        "planning",
        "cloudinary",
        "definitions",
        "model",
        "errors",
        "_version",
        "emulator",
    },
    "renderers": {"planning", "model", "errors", "_version"},
    "cli": {
        "files",
        "operations",
        "planning",
        "cloudinary",
        "definitions",
        "model",
        "renderers",
        "errors",
        "_version",
        "emulator",
    },
    "__init__": {
        "files",
        "operations",
        "planning",
        "cloudinary",
        "definitions",
        "model",
        "renderers",
        "errors",
        "_version",
    },
    "__main__": {"cli"},
}
#: the emulator is an independent implementation: only the shared rule and the version
EMULATOR_MAY_IMPORT = {
    "cloudinary_presets._version",
    "cloudinary_presets.model.moderation_rule",
    "cloudinary_presets.model.taxonomy",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every cloudinary_presets module ``path`` imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("cloudinary_presets"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("cloudinary_presets"):
                continue
            for alias in node.names:  # `from pkg import module` names a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if not m.startswith("cloudinary_presets.emulator"))
)
def test_each_layer_imports_only_the_layers_below(module: str) -> None:
    layer = _layer(module)
    allowed = ALLOWED[layer] | {layer}
    wrong = sorted(i for i in GRAPH[module] if _layer(i) not in allowed)
    assert not wrong, f"{module} ({layer}) may not import {wrong}"


def test_the_emulator_imports_nothing_of_the_client_but_the_shared_rule() -> None:
    for module, imports in GRAPH.items():
        if module.startswith("cloudinary_presets.emulator"):
            foreign = {i for i in imports if not i.startswith("cloudinary_presets.emulator")}
            assert foreign <= EMULATOR_MAY_IMPORT, (module, foreign - EMULATOR_MAY_IMPORT)
    for module in EMULATOR_MAY_IMPORT - {"cloudinary_presets._version"}:
        outside = {i for i in GRAPH[module] if _layer(i) != "_version"} - EMULATOR_MAY_IMPORT
        assert not outside, f"{module} is shared with the emulator: keep it standard-library only"


def test_there_are_no_import_cycles() -> None:
    # subpackage __init__ files are docstrings only, so edges go module to module
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target not in GRAPH or target == module:
                continue
            if state.get(target) == 1:
                cycle = stack[stack.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job"


def test_subpackages_are_import_light() -> None:
    """A subpackage's __init__ imports nothing: the emulator imports model.moderation_rule
    without pulling in pydantic, and `presets --help` stays fast."""
    for path in PACKAGE.glob("*/__init__.py"):
        if path.parent.name in ("emulator", "cli"):
            continue
        assert not _imports(path), path


def test_the_architecture_page_names_only_real_modules() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.py)`", text))
    assert named, "docs/architecture.md names no modules"
    basenames = {path.name for path in PACKAGE.rglob("*.py")}
    for relative in sorted(named):
        if relative.startswith("tests/"):
            exists = (ROOT / relative).is_file()
        else:
            exists = (PACKAGE / relative).is_file() if "/" in relative else relative in basenames
        assert exists, f"docs/architecture.md names {relative}, which does not exist"
    for package in re.findall(r"`([a-z_]+)/`", text):
        assert (PACKAGE / package).is_dir(), f"docs/architecture.md names {package}/"
