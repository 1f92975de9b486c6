"""Commands that read the definitions and never touch Cloudinary: validate, render, resolve,
schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from cloudinary_presets.cli.completion import complete_preset
from cloudinary_presets.cli.options import format_options, open_project, project_options
from cloudinary_presets.cli.output import OUT, github_summary
from cloudinary_presets.errors import EXIT_ERROR


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@project_options
@click.option("--strict", is_flag=True, help="Treat policy lint warnings as errors.")
@format_options("text", "json", "markdown", "github", what="the problems (github: annotations)")
def validate(
    path: Path | None,
    env_name: str | None,
    root: Path | None,
    presets_dir: Path | None,
    strict: bool,
    fmt: str,
) -> None:
    """Validate preset files (default: the presets/ folder) without touching Cloudinary.

    Prints each problem as file:line:col: severity: message, then a summary. Exit 0 when
    valid (warnings allowed), 1 when not. PATH is a file or folder (like --presets-dir).
    """
    from cloudinary_presets.renderers.github import annotation_lines, validation_summary

    if path is not None and presets_dir is not None and path != presets_dir:
        raise click.UsageError("give the presets folder as PATH or as --presets-dir, not both")
    project = open_project({"root": root}, path or presets_dir, own_folder=True)
    report = project.report(project.environment(env_name), os.environ, strict=strict)
    summary = validation_summary(report.problems, report.presets.files, len(report.presets))
    if fmt == "json":
        OUT.echo(json.dumps(report.to_dict(), indent=2))
    elif fmt == "markdown":
        OUT.echo(summary.rstrip("\n"))
    elif fmt == "github":
        for line in annotation_lines(report.problems):
            OUT.echo(line)
        OUT.echo(report.summary())
    else:
        for problem in report.problems:
            color = "red" if problem.is_error else "yellow"
            OUT.echo(OUT.style(problem.render(), fg=color))
        OUT.echo(OUT.style(report.summary(), bold=True))
    github_summary(summary)
    if report.errors:
        raise SystemExit(EXIT_ERROR)


@click.command()
@click.argument("name", required=False, shell_complete=complete_preset)
@project_options
def render(
    name: str | None, env_name: str | None, root: Path | None, presets_dir: Path | None
) -> None:
    """Print the fully resolved definitions of an environment (overrides and variables applied)."""
    from cloudinary_presets.operations.workflow import render_definitions

    project = open_project({"root": root, "presets_dir": presets_dir})
    OUT.echo(
        render_definitions(project, project.environment(env_name), os.environ, name).rstrip("\n")
    )


@click.command()
@click.argument("name", shell_complete=complete_preset)
@project_options
def resolve(name: str, env_name: str | None, root: Path | None, presets_dir: Path | None) -> None:
    """Print a preset's remote name and a summary of its definition (no network)."""
    from cloudinary_presets.definitions.resolve import resolve_preset

    project = open_project({"root": root, "presets_dir": presets_dir})
    found = resolve_preset(project, project.environment(env_name), os.environ, name)
    OUT.echo(found.remote_name)
    OUT.echo(found.summary())


@click.command()
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
    from cloudinary_presets.definitions.schema import stale_schemas, write_schemas

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
