"""The public API keeps its types: mypy --strict checks a small application against it.

``cloudinary_presets`` loads its exports lazily (a module ``__getattr__``, typed ``Any``);
the ``TYPE_CHECKING`` imports beside it are what give ``from cloudinary_presets import
Uploader`` its real type. ``typed_consumer.py`` asserts the types of the calls an
application makes; a copy with one wrong assertion must fail, so the check is real.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cloudinary_presets

mypy_api = pytest.importorskip("mypy.api")

HERE = Path(__file__).resolve().parent
CONSUMER = HERE / "typed_consumer.py"
INIT = Path(cloudinary_presets.__file__)


def test_every_lazy_export_has_a_typed_import_from_the_same_module() -> None:
    typed: dict[str, str] = {}
    for node in ast.walk(ast.parse(INIT.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                assert stmt.module
                for alias in stmt.names:
                    assert alias.asname == alias.name, "re-export explicitly: `import X as X`"
                    typed[alias.name] = stmt.module
    assert typed == cloudinary_presets._EXPORTS


def test_mypy_strict_sees_the_real_types(tmp_path: Path) -> None:
    broken = tmp_path / "broken_consumer.py"
    text = CONSUMER.read_text(encoding="utf-8")
    assert "assert_type(result, UploadResult)" in text
    broken.write_text(text.replace("assert_type(result, UploadResult)", "assert_type(result, int)"))
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    stdout, stderr, status = mypy_api.run(
        [
            "--strict",
            "--python-version=3.10",
            f"--config-file={config}",
            f"--cache-dir={tmp_path / 'cache'}",
            "--no-error-summary",
            "--hide-error-context",
            str(CONSUMER),
            str(broken),
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1, stdout + stderr
    assert len(errors) == 1, "\n".join(errors)
    assert errors[0].startswith(str(broken))
    assert 'Expression is of type "UploadResult", not "int"' in errors[0]
