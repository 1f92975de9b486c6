"""The `validate`/`schema` command line: usage errors exit 64 (never click's 2), --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from defs_support import EXAMPLES, INVALID, Runner

from cloudinary_presets import __version__


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("validate", "--format", "nope"), "Invalid value for '--format': 'nope' is not one of"),
        (("validate", "--no-such-option"), "No such option '--no-such-option'"),
        (("schema", "--no-such-option"), "No such option '--no-such-option'"),
        (("validate", "a", "b"), "Got unexpected extra argument (b)"),
        (("no-such-command",), "No such command 'no-such-command'"),
    ],
)
def test_usage_errors_exit_64(run: Runner, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=EXAMPLES.parent)
    assert result.exit_code == 64
    assert message in result.stderr
    assert "Usage: presets" in result.stderr
    assert result.stdout == ""


def test_a_missing_path_is_a_usage_error(run: Runner, tmp_path: Path) -> None:
    result = run("validate", "no-such-folder", cwd=tmp_path)
    assert result.exit_code == 64
    assert result.stderr == (
        "error: no such file or directory: no-such-folder\n"
        "  hint: run from the repository root, or pass the presets folder as PATH\n"
    )


def test_validate_defaults_to_the_presets_folder(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "bad.yaml").write_text("name: a\nname: b\n", encoding="utf-8")
    result = run("validate", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.problem_lines() == [
        "presets/bad.yaml:2:1: error: duplicate key 'name' (first defined at line 1)"
    ]


def test_problems_go_to_stdout_and_nothing_to_stderr(run: Runner) -> None:
    result = run("validate", "yaml-anchor.yaml", cwd=INVALID)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert len(result.problem_lines()) == 1


def test_version(run: Runner) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"presets {__version__}\n"


def test_python_dash_m_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cloudinary_presets", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"presets {__version__}\n"


def test_python_dash_m_usage_error_exits_64() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cloudinary_presets", "validate", "--format", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 64
    assert "Traceback" not in done.stderr
