"""The ``presets`` command line: thin glue over the library.

This is the only module that imports click, prints, reads the process environment or
exits. Each command parses its options, calls one library function, renders the result,
and maps :class:`~cloudinary_presets.errors.PresetsError` to the documented exit codes:
0 success, 1 error, 2 changes present (``--detailed-exitcode``), 3 refused by a safety
check, 64 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from cloudinary_presets._version import __version__
from cloudinary_presets.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, PresetsError

EXIT_INTERRUPTED = 130


class Out:
    """stdout/stderr writers that colour only on a TTY and never with NO_COLOR."""

    def __init__(self) -> None:
        self.color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def style(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.color else text

    def echo(self, text: str = "") -> None:
        click.echo(text)

    def err(self, text: str) -> None:
        click.echo(text, err=True)


OUT = Out()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="presets", message="%(prog)s %(version)s")
def cli() -> None:
    """Cloudinary upload presets as code: validate, plan, apply, import, upload."""


# --------------------------------------------------------------------------- validate


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat policy lint warnings as errors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def validate(path: Path | None, strict: bool, fmt: str) -> None:
    """Validate preset files (default: the presets/ folder) without touching Cloudinary.

    Prints each problem as file:line:col: severity: message. Exit 0 when valid
    (warnings allowed), 1 when not.
    """
    from cloudinary_presets.loader import validate_tree

    root = path or Path("presets")
    report = validate_tree(root, strict=strict)
    if fmt == "json":
        OUT.echo(
            json.dumps(
                {
                    "valid": not report.errors,
                    "files": report.presets.files,
                    "presets": len(report.presets),
                    "errors": len(report.errors),
                    "warnings": len(report.warnings),
                    "problems": [p.to_dict() for p in report.problems],
                },
                indent=2,
            )
        )
    else:
        for problem in report.problems:
            color = "red" if problem.is_error else "yellow"
            OUT.echo(OUT.style(problem.render(), fg=color))
        summary = (
            f"{report.presets.files} file(s), {len(report.presets)} valid preset(s): "
            f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        )
        OUT.echo(OUT.style(summary, bold=True))
    if report.errors:
        raise SystemExit(EXIT_ERROR)


# --------------------------------------------------------------------------- schema


@cli.command()
@click.option("--check", is_flag=True, help="Fail if the committed schemas are out of date.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("schemas"),
    show_default=True,
    help="Where the schema files live.",
)
def schema(check: bool, directory: Path) -> None:
    """Write the JSON Schemas generated from the models (or check them with --check)."""
    from cloudinary_presets.schema import stale_schemas, write_schemas

    if check:
        stale = stale_schemas(directory)
        for path in stale:
            OUT.err(f"{path} is out of date; run `presets schema` and commit the result")
        if stale:
            raise SystemExit(EXIT_ERROR)
        OUT.echo("schemas are up to date")
        return
    for path in write_schemas(directory):
        OUT.echo(f"wrote {path}")


# --------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit status (the console script calls this)."""
    try:
        cli.main(args=argv, prog_name="presets", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        OUT.err("aborted")
        return EXIT_ERROR
    except PresetsError as exc:
        OUT.err(OUT.style("error: ", fg="red", bold=True) + str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        OUT.err("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
