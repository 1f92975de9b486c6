"""One way to run ``presets`` in-process for tests: ``cli.main`` with captured output.

A plain module (not a conftest) so every test folder can import it unambiguously.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Result:
    """What one ``presets`` invocation did."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_main(args: list[str], stdin: TextIO | None = None) -> Result:
    """Call ``cli.main(args)`` with stdout/stderr captured (and ``stdin`` if given)."""
    import sys

    from cloudinary_presets.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = saved
    return Result(code, out.getvalue(), err.getvalue())
