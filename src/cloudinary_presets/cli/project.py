"""Starting and tidying a project: ``presets init`` and ``presets fmt``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cloudinary_presets.cli.options import format_options, location_options, open_project
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.errors import EXIT_ERROR


@click.command()
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to start the project in (default: the current folder).",
)
def init(root: Path | None) -> None:
    """Start a project: cloudinary-presets.yaml, an example preset, schemas, .gitignore.

    Writes a configuration with a commented environments block, one commented moderated
    preset (presets/community-uploads.yaml), the JSON Schemas its editor modelines point
    to (schemas/), and `.presets/` in .gitignore. Never overwrites: if a file it would
    write exists, nothing is written and the exit status is 3.
    """
    from cloudinary_presets.definitions.scaffold import init_project

    result = init_project(root or Path("."))
    for path in result.created:
        OUT.echo(OUT.style(f"created {path}", fg="green"))
    if result.gitignore:
        OUT.echo(f"{result.gitignore} {result.root / '.gitignore'} (ignores .presets/)")
    OUT.echo(
        "Next: `presets validate`, then `presets plan` (without credentials it plans against "
        "the local emulator; `presets doctor` shows what is configured)."
    )


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Change nothing: exit 1 and name the files that would be reformatted.",
)
@location_options
@format_options("text", "json", what="the files reformatted")
def format_command(
    paths: tuple[Path, ...],
    check: bool,
    root: Path | None,
    presets_dir: Path | None,
    fmt: str,
) -> None:
    """Rewrite preset files in the canonical layout, keeping every comment.

    PATHS are files or folders (default: the presets folder). Keys in the model's order
    (name, description, unsigned, ..., settings in the schema's order), two-space
    indentation, quotes only where needed. Formatting never changes what a file means:
    each result is re-read and compared before it is written. Exit 1 with --check when a
    file would change, or when a file cannot be formatted (it is left as written).
    """
    from cloudinary_presets.definitions.formatting import format_files

    chosen = list(paths) or [open_project({"root": root, "presets_dir": presets_dir}).presets_dir]
    report = format_files(chosen, check=check)
    if fmt == "json":
        OUT.echo(json.dumps(report.to_dict(), indent=2))
    else:
        verb = "would reformat" if check else "reformatted"
        for name in report.changed:
            OUT.echo(f"{verb} {name}")
        for problem in report.problems:
            OUT.err(OUT.style(problem.render(), fg="red"))
        OUT.echo(OUT.style(report.summary(), bold=True))
    if not report.ok:
        raise SystemExit(EXIT_ERROR)
