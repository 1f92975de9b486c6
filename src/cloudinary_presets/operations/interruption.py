"""What Ctrl-C means while an apply writes, decided in one place.

Outside the writes, Ctrl-C interrupts at once (nothing is half done: reading definitions,
listing and planning change nothing). During the writes an interruption at an arbitrary
instruction could lose track of a write that landed, so the signal's owner (the CLI)
calls :meth:`Interruption.press` instead of raising: the first press stops new writes and
lets those in flight finish; the second stops waiting for them, and the apply reports
them as in flight, outcome unknown. Either way the apply ends with a report that names
every preset written, failed, in flight and not attempted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Interruption:
    """The state of Ctrl-C for one apply; :meth:`press` is safe to call from a signal
    handler (it only sets flags, or raises :class:`KeyboardInterrupt` outside the writes)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.abandoned = threading.Event()
        self._writing = False

    @property
    def writing(self) -> bool:
        return self._writing

    def press(self) -> None:
        """One Ctrl-C: stop new writes, then stop waiting; outside the writes, interrupt."""
        if not self._writing or self.abandoned.is_set():
            raise KeyboardInterrupt
        if self.stopping.is_set():
            self.abandoned.set()
        else:
            self.stopping.set()

    @contextmanager
    def during_writes(self) -> Iterator[Interruption]:
        """While the block runs, a press sets flags instead of interrupting."""
        self._writing = True
        try:
            yield self
        finally:
            self._writing = False
