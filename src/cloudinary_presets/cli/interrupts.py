"""Ctrl-C for the whole command line: exit 130 in any phase, gracefully during writes.

:func:`sigint_handled` installs one SIGINT handler for a CLI run. By default a press
interrupts (a :class:`KeyboardInterrupt`, which :func:`~cloudinary_presets.cli.main`
turns into "interrupted" and exit 130); a command that writes routes the presses to its
:class:`~cloudinary_presets.operations.interruption.Interruption` instead, which stops
new writes first and stops waiting on the second press. Presses are counted, so a
prompt that click aborted on Ctrl-C still exits 130, not 1.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudinary_presets.operations.interruption import Interruption


class _Router:
    def __init__(self) -> None:
        self.presses = 0
        self.target: Interruption | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.presses += 1
        if self.target is None:
            raise KeyboardInterrupt
        self.target.press()  # raises KeyboardInterrupt outside the writes


_ROUTER = _Router()


@contextmanager
def sigint_handled() -> Iterator[None]:
    """Route SIGINT through this module while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    _ROUTER.presses, _ROUTER.target = 0, None
    signal.signal(signal.SIGINT, _ROUTER)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _ROUTER.target = None


def was_interrupted() -> bool:
    """Ctrl-C was pressed during this run (click turns it into an Abort in prompts)."""
    return _ROUTER.presses > 0


@contextmanager
def routed_to(interruption: Interruption) -> Iterator[Interruption]:
    """While the block runs, Ctrl-C presses go to ``interruption``."""
    _ROUTER.target = interruption
    try:
        yield interruption
    finally:
        _ROUTER.target = None
