"""What the CLI writes: stdout/stderr, colour only where it helps, the GitHub step summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from cloudinary_presets.files import append_text, printable


class Out:
    """stdout/stderr writers that colour only on a TTY and never with NO_COLOR."""

    def __init__(self) -> None:
        self.color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def style(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.color else text

    def echo(self, text: str = "") -> None:
        click.echo(printable(text))

    def err(self, text: str) -> None:
        click.echo(printable(text), err=True)

    def error(self, message: str) -> None:
        """``error: message`` on stderr, the prefix in bold red."""
        self.err(self.style("error: ", fg="red", bold=True) + message)


OUT = Out()


def github_summary(markdown: str) -> None:
    """Append to the GitHub Actions job summary when running in a workflow."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        append_text(
            Path(path),
            markdown + "\n",
            doing="append the job summary to",
            hint="GITHUB_STEP_SUMMARY names the file GitHub Actions shows as the job summary: "
            "point it at a file in an existing folder, or unset it",
        )
