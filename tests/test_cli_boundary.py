"""The CLI stays a thin package: only it talks to the person, and it starts without the
heavy dependencies (``presets --help`` is fast)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import run_main

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "cloudinary_presets"
#: the documented convenience that reads the process environment when given none
READS_ENVIRON = {"operations/uploader.py"}
HEAVY = (
    "pydantic",
    "requests",
    "yaml",
    "jsonschema",
    "cloudinary_presets.model.preset",
    "cloudinary_presets.cloudinary.transport",
    "cloudinary_presets.emulator",
)


def _library_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] != "cli" and p.name != "__main__.py"
    )


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return []


def _offence(node: ast.AST, relative: str) -> str | None:
    """What ``node`` does that only the CLI may do (None: nothing)."""
    if any(name.split(".")[0] == "click" for name in _imported(node)):
        return "imports click"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"calls {node.func.id}()" if node.func.id in ("print", "exit", "quit") else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        used = (node.value.id, node.attr)
        if used == ("sys", "exit"):
            return "sys.exit"
        if used in (("os", "environ"), ("os", "getenv")) and relative not in READS_ENVIRON:
            return f"reads os.{node.attr}"
    if isinstance(node, ast.Raise) and node.exc is not None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(raised, ast.Name) and raised.id == "SystemExit":
            return "raises SystemExit"
    return None


def _person_facing(tree: ast.AST, relative: str) -> list[str]:
    return [
        f"line {getattr(node, 'lineno', 0)}: {offence}"
        for node in ast.walk(tree)
        if (offence := _offence(node, relative)) is not None
    ]


@pytest.mark.parametrize("module", _library_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_cli_package_prints_exits_or_reads_the_environment(module: Path) -> None:
    relative = module.relative_to(PACKAGE).as_posix()
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    assert _person_facing(tree, relative) == [], relative


def test_the_boundary_check_sees_what_it_forbids() -> None:
    code = (
        "import click\nfrom click import echo\nimport os, sys\nprint('x')\nsys.exit(1)\n"
        "os.environ['A']\nos.getenv('B')\nraise SystemExit(2)\nraise SystemExit\n"
    )
    assert sorted(f.split(": ", 1)[1] for f in _person_facing(ast.parse(code), "x.py")) == [
        "calls print()", "imports click", "imports click", "raises SystemExit",
        "raises SystemExit", "reads os.environ", "reads os.getenv", "sys.exit",
    ]  # fmt: skip
    assert _person_facing(ast.parse("import os\nos.environ"), "operations/uploader.py") == []


def test_importing_the_cli_loads_nothing_heavy() -> None:
    code = (
        "import sys, cloudinary_presets.cli; "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == []


def test_help_lists_the_commands_in_the_order_a_user_meets_them() -> None:
    result = run_main(["--help"])
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == [
        "init", "validate", "fmt", "plan", "show", "apply", "import", "render", "resolve",
        "upload", "moderation", "doctor", "completion", "schema", "emulator",
    ]  # fmt: skip
