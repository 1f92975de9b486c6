"""What the CLI writes: stdout/stderr, colour only where it helps, the GitHub step summary.

Every byte the command line writes goes through :meth:`Out.safe`: known secrets (and
credential-shaped text) are masked and invisible or control characters escaped, whatever
produced the text — a renderer, an error message, click's own usage errors, a progress
line. This is structural here, not a duty of each call site.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from cloudinary_presets.files import append_text, printable


class Out:
    """stdout/stderr writers that mask secrets and colour only on a TTY, never with NO_COLOR."""

    def __init__(self) -> None:
        self.color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def safe(self, text: str) -> str:
        """``text`` as it may be shown: every known secret masked, every invisible or
        control character escaped (but newlines, tabs and this writer's own colours)."""
        from cloudinary_presets.cloudinary.secrets import redact  # not at import: --help
        from cloudinary_presets.model.characters import escape_invisible

        return escape_invisible(redact(printable(text)), keep="\n\t", keep_colours=self.color)

    def style(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.color else text

    def echo(self, text: str = "") -> None:
        click.echo(self.safe(text))

    def echo_own_credentials(self, text: str) -> None:
        """The one unmasked writer: ``presets emulator`` prints the ``CLOUDINARY_URL`` of
        the local emulator it serves (demo or given credentials, not a product
        environment's); showing it is the point of the line."""
        from cloudinary_presets.model.characters import escape_invisible

        click.echo(escape_invisible(printable(text), keep="\n\t"))

    def err(self, text: str) -> None:
        click.echo(self.safe(text), err=True)

    def error(self, message: str) -> None:
        """``error: message`` on stderr, the prefix in bold red."""
        self.err(self.style("error: ", fg="red", bold=True) + message)

    def progress(self, text: str, *, err: bool = False) -> None:
        """A terminal status line, drawn in place (``\\r``, erase the line), no newline."""
        click.echo("\r\033[K" + self.safe(text), nl=False, err=err)

    def clear_progress(self, *, err: bool = False) -> None:
        click.echo("\r\033[K", nl=False, err=err)


class MaskedStream:
    """A file-like stand-in for stdout/stderr that masks what click writes to it itself
    (its usage errors quote the arguments, which may carry a secret)."""

    def __init__(self, *, err: bool = False) -> None:
        self.err = err

    def write(self, text: str) -> int:
        click.echo(OUT.safe(text), err=self.err, nl=False)
        return len(text)

    def flush(self) -> None:
        (sys.stderr if self.err else sys.stdout).flush()


OUT = Out()


def github_summary(markdown: str) -> None:
    """Append to the GitHub Actions job summary when running in a workflow."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        append_text(
            Path(path),
            OUT.safe(markdown) + "\n",
            doing="append the job summary to",
            hint="GITHUB_STEP_SUMMARY names the file GitHub Actions shows as the job summary: "
            "point it at a file in an existing folder, or unset it",
        )
