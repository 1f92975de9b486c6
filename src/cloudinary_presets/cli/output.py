"""What the CLI writes: stdout/stderr, colour as asked, the pager, the GitHub step summary.

Every byte the command line writes goes through :meth:`Out.safe`: known secrets (and
credential-shaped text) are masked and invisible or control characters escaped, whatever
produced the text — a renderer, an error message, click's own usage errors, a progress
line. This is structural here, not a duty of each call site.
"""

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
    """stdout/stderr writers that mask secrets and colour as :func:`color_choice` decides."""

    def __init__(self) -> None:
        self.color: bool | None = None

    def configure(self, flag: str | None, environ: Mapping[str, str]) -> None:
        self.color = color_choice(flag, environ)

    def safe(self, text: str) -> str:
        """``text`` as it may be shown: every known secret masked, every invisible or
        control character escaped (but newlines, tabs and this writer's own colours)."""
        from cloudinary_presets.cloudinary.secrets import redact  # not at import: --help
        from cloudinary_presets.model.characters import escape_invisible

        keep = self.color is not False  # our own colours; click strips them off a terminal
        return escape_invisible(redact(printable(text)), keep="\n\t", keep_colours=keep)

    def style(self, text: str, **kw: Any) -> str:
        # Styled unless colour is off; click.echo strips the codes again on a stream that
        # is not a terminal when the choice is "auto".
        return text if self.color is False else click.style(text, **kw)

    def echo(self, text: str = "") -> None:
        click.echo(self.safe(text), color=self.color)

    def echo_own_credentials(self, text: str) -> None:
        """The one unmasked writer: ``presets emulator`` prints the ``CLOUDINARY_URL`` of
        the local emulator it serves (demo or given credentials, not a product
        environment's); showing it is the point of the line."""
        from cloudinary_presets.model.characters import escape_invisible

        click.echo(escape_invisible(printable(text), keep="\n\t"))

    def err(self, text: str) -> None:
        click.echo(self.safe(text), err=True, color=self.color)

    def error(self, message: str) -> None:
        """``error: message`` on stderr, the prefix in bold red."""
        self.err(self.style("error: ", fg="red", bold=True) + message)

    def progress(self, text: str, *, err: bool = False) -> None:
        """A terminal status line, drawn in place (``\\r``, erase the line), no newline."""
        click.echo("\r\033[K" + self.safe(text), nl=False, err=err, color=self.color)

    def clear_progress(self, *, err: bool = False) -> None:
        click.echo("\r\033[K", nl=False, err=err)

    def page(self, text: str, *, pager: bool = True) -> None:
        """``text`` through the pager (``PAGER``) when it is longer than the terminal."""
        if pager and _interactive() and len(text.splitlines()) >= _rows() - 1:
            click.echo_via_pager(self.safe(text), color=self.color)
        else:
            self.echo(text)


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
            OUT.safe(markdown) + "\n",
            doing="append the job summary to",
            hint="GITHUB_STEP_SUMMARY names the file GitHub Actions shows as the job summary: "
            "point it at a file in an existing folder, or unset it",
        )
