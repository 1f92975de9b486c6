"""A status line with a count and an ETA on stderr, whenever stderr is a terminal.

It goes to stderr so that ``presets upload ... > out.txt`` still shows how far along it
is, and so that stdout stays the results. Result lines printed while it runs go through
:meth:`Progress.line`, which clears the status, prints the line and draws it again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from cloudinary_presets.cli.output import OUT


def eta_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """``label 3/10 30% ETA 0:12 (current item)`` redrawn in place on a terminal stderr."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.done = 0
        self.current = ""
        self.clock = clock
        self.started = clock()
        self.active = total > 0 and self.stream.isatty()

    def status(self) -> str:
        percent = 100 * self.done // self.total if self.total else 100
        text = f"{self.label} {self.done}/{self.total} {percent}%"
        if 0 < self.done < self.total:
            elapsed = self.clock() - self.started
            text += f" ETA {eta_text(elapsed / self.done * (self.total - self.done))}"
        return f"{text} {self.current}".rstrip()

    def _draw(self) -> None:
        if self.active:
            OUT.progress(self.status(), err=True)  # masked and escaped like every line

    def _clear(self) -> None:
        if self.active:
            OUT.clear_progress(err=True)

    def working_on(self, item: str) -> None:
        self.current = item
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self.current = ""
        self._draw()

    def line(self, text: str, *, err: bool = False) -> None:
        """A result line (stdout, or stderr with ``err``) above the status line."""
        self._clear()
        (OUT.err if err else OUT.echo)(text)
        self._draw()

    def clear(self) -> None:
        """Erase the status line (it comes back with the next update)."""
        self._clear()

    def close(self) -> None:
        self._clear()
        self.active = False

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
