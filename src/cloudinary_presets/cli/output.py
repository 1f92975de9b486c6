"""What the CLI writes: stdout/stderr, colour only where it helps, the pager, the GitHub step
summary."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from cloudinary_presets.files import append_text, printable

COLOR_CHOICES = ("auto", "always", "never")


def color_choice(flag: str | None, environ: Mapping[str, str]) -> bool | None:
    """Colour on (True), off (False) or per stream (None: only where it is a terminal).

    ``--color always|never`` wins; then ``NO_COLOR`` (any non-empty value, no-color.org);
    then ``FORCE_COLOR`` (any non-empty value but ``0`` or ``false``, force-color.org);
    else ``auto``.
    """
    if flag == "always":
        return True
    if flag == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR", "")
    if force and force.strip().lower() not in ("0", "false"):
        return True
    return None


class Out:
    """stdout/stderr writers that colour as :func:`color_choice` decides."""

    def __init__(self) -> None:
        self.color: bool | None = None

    def configure(self, flag: str | None, environ: Mapping[str, str]) -> None:
        self.color = color_choice(flag, environ)

    def style(self, text: str, **kw: Any) -> str:
        # Styled unless colour is off; click.echo strips the codes again on a stream that
        # is not a terminal when the choice is "auto".
        return text if self.color is False else click.style(text, **kw)

    def echo(self, text: str = "") -> None:
        click.echo(printable(text), color=self.color)

    def err(self, text: str) -> None:
        click.echo(printable(text), err=True, color=self.color)

    def error(self, message: str) -> None:
        """``error: message`` on stderr, the prefix in bold red."""
        self.err(self.style("error: ", fg="red", bold=True) + message)

    def page(self, text: str, *, pager: bool = True) -> None:
        """``text`` through the pager (``PAGER``) when it is longer than the terminal."""
        if pager and _interactive() and len(text.splitlines()) >= _rows() - 1:
            click.echo_via_pager(text, color=self.color)
        else:
            self.echo(text)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _rows() -> int:
    import shutil  # not at start-up: it pulls in the compression modules

    return shutil.get_terminal_size((80, 24)).lines


OUT = Out()


def color_option(func: Any) -> Any:
    """``--color auto|always|never``: decided as soon as it is parsed (eager)."""

    def configure(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            OUT.configure(value, os.environ)

    return click.option(
        "--color",
        type=click.Choice(COLOR_CHOICES),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=configure,
        help="Colour the output: auto (on a terminal, unless NO_COLOR; FORCE_COLOR forces "
        "it), always or never.",
    )(func)


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
