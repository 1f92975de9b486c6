"""Fixtures for the definition-layer tests: an in-process ``presets`` runner.

``run`` calls ``cli.main([...])`` with stdout and stderr captured, from a chosen working
directory, so the rendered problem lines carry short, predictable paths. Every call also
asserts that no Python traceback was printed. Paths and helpers live in ``defs_support``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from defs_support import Run, Runner

from cli_runner import run_main


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Runner:
    """``run(*args, cwd=path)``: run the CLI in-process; asserts no traceback escaped."""

    def invoke(*args: str, cwd: Path | None = None) -> Run:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        done = run_main(list(args))
        result = Run(done.exit_code, done.stdout, done.stderr)
        assert "Traceback" not in result.output, result.output
        return result

    return invoke
