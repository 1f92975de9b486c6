"""Helpers of the everyday-use tests (a uniquely named module: several ``conftest.py``
files exist, so ``from conftest import`` would be ambiguous)."""

from __future__ import annotations

import io
from typing import Any

WRITES = ("POST /upload_presets", "PUT /upload_presets/{name}", "DELETE /upload_presets/{name}")


def requests(emulator: Any) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


def write_requests(emulator: Any) -> int:
    counts = requests(emulator)
    return sum(counts.get(key, 0) for key in WRITES)


class TerminalInput(io.StringIO):
    """stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Terminal:
    """A stream that says it is a terminal and keeps what was written."""

    def __init__(self, wrapped: Any = None) -> None:
        self.wrapped = wrapped if wrapped is not None else io.StringIO()

    def isatty(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
