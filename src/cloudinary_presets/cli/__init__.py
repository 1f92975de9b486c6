"""The ``presets`` command line: thin glue over the library.

This package is the only code that imports click, prints, reads the process environment
or exits. Each command parses its options, calls one library function, renders the result,
and :func:`main` maps :class:`~cloudinary_presets.errors.PresetsError` to the documented
exit codes: 0 success, 1 error, 2 changes present (``--detailed-exitcode``), 3 refused by a
safety check, 64 usage error, 130 interrupted.

Nothing heavy (pydantic, requests, YAML, the emulator) is imported here: each command
imports what it needs when it runs, so ``presets --help`` starts fast.
"""

from __future__ import annotations

import gc
import os

import click

from cloudinary_presets._version import __version__
from cloudinary_presets.cli import (
    applying,
    completion,
    definitions,
    diagnose,
    emulator,
    moderation,
    planning,
    project,
    uploads,
)
from cloudinary_presets.cli.interrupts import sigint_handled, was_interrupted
from cloudinary_presets.cli.options import disable_debug, timeout_option
from cloudinary_presets.cli.output import OUT, MaskedStream, color_option
from cloudinary_presets.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, PresetsError

EXIT_INTERRUPTED = 130
#: commands that may run for a long time, with the cyclic garbage collector on
LONG_RUNNING = frozenset({"emulator", "upload"})


class OrderedGroup(click.Group):
    """Lists commands in the order they were added: the order a user meets them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=OrderedGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="presets", message="%(prog)s %(version)s")
@timeout_option
@color_option
@click.pass_context
def cli(ctx: click.Context, timeout: float) -> None:
    """Cloudinary upload presets as code: validate, plan, apply, import, upload."""
    if ctx.invoked_subcommand in LONG_RUNNING:
        gc.enable()  # see run(): these may run for hours, and their garbage must go


for command in (
    project.init,
    definitions.validate,
    project.format_command,
    planning.plan,
    planning.show,
    applying.apply,
    applying.import_,
    definitions.render,
    definitions.resolve,
    uploads.upload,
    moderation.moderation,
    diagnose.doctor,
    completion.completion,
    definitions.schema,
    emulator.emulator,
):
    cli.add_command(command)


def _with_color_option(group: click.Group) -> None:
    """Every command takes ``--color`` (declared once, here)."""
    for command in group.commands.values():
        color_option(command)
        if isinstance(command, click.Group):
            _with_color_option(command)


_with_color_option(cli)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit status (the console script calls this)."""
    OUT.configure(None, os.environ)
    with sigint_handled():
        try:
            return _run(argv)
        finally:
            disable_debug()


def _run(argv: list[str] | None) -> int:
    try:
        cli.main(args=argv, prog_name="presets", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show(file=MaskedStream(err=True))  # type: ignore[arg-type]
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show(file=MaskedStream(err=True))  # type: ignore[arg-type]
        return EXIT_ERROR
    except click.exceptions.Abort:
        if was_interrupted():  # Ctrl-C at a prompt
            OUT.err("interrupted")
            return EXIT_INTERRUPTED
        OUT.err("aborted")
        return EXIT_ERROR
    except PresetsError as exc:
        OUT.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        OUT.err("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return EXIT_OK


def run(argv: list[str] | None = None) -> int:
    """The ``presets`` console script: :func:`main` without the cyclic garbage collector.

    A command is one short process: what it builds (modules, pydantic models, thousands
    of definitions and listed presets) lives until it exits, and reference counting frees
    the rest, so the collector's passes over the heap find nothing and cost time (during
    the imports, and in a final pass at exit). The long-running commands
    (:data:`LONG_RUNNING`) switch it back on. At the end ``gc.freeze()`` spares the
    interpreter's last collection a walk over every object. Not in :func:`main`, which
    tests and embedders call in long-lived processes.
    """
    gc.disable()
    try:
        code = main(argv)
    finally:
        gc.freeze()
    return code


__all__ = ["EXIT_INTERRUPTED", "LONG_RUNNING", "cli", "main", "run"]
