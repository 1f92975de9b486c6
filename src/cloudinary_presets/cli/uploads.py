"""Runtime commands: ``presets upload`` and ``presets moderation simulate``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudinary_presets.cli.completion import complete_preset
from cloudinary_presets.cli.options import Session, format_options, target_options
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.cli.progress import Progress
from cloudinary_presets.errors import EXIT_ERROR

if TYPE_CHECKING:
    from cloudinary_presets.operations.upload_batch import UploadOutcome


def _context_pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: expected key=value", param_hint="--context")
        out[key] = item
    return out


def upload_line(outcome: UploadOutcome) -> str:
    """``file -> public_id  url  moderation: ...``, or why the file failed."""
    result = outcome.result
    if result is None:
        return OUT.style(f"{outcome.file}: FAILED: {outcome.error}", fg="red")
    statuses = ", ".join(f"{m.get('kind')} {m.get('status')}" for m in result.moderation)
    moderation = f"  moderation: {statuses}" if statuses else ""
    color = "red" if result.rejected else "green"
    return (
        OUT.style(f"{outcome.file} -> {result.public_id}", fg=color)
        + f"  {result.secure_url}{moderation}"
    )


#: ``--preset NAME``: the preset by the name in its file (TAB completes it)
_PRESET = click.option(
    "--preset",
    "preset_name",
    required=True,
    metavar="NAME",
    shell_complete=complete_preset,
    help="The preset, by the name in its file.",
)


@click.command()
@click.argument("files", nargs=-1, required=True)
@_PRESET
@click.option("--public-id", metavar="ID", help="Public ID (one file only).")
@click.option("--tag", "tags", multiple=True, metavar="T", help="Tag to add (repeatable).")
@click.option(
    "--context", "contexts", multiple=True, metavar="K=V", help="Context key=value (repeatable)."
)
@click.option(
    "--verify",
    is_flag=True,
    help="First check (one Admin API call) that the remote preset matches its definition.",
)
@format_options("text", "json", "markdown", what="the results")
@click.option(
    "--allow-rejected", is_flag=True, help="Exit 0 even when moderation rejects an upload."
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Concurrent uploads.",
)
@click.option(
    "--resource-type",
    type=click.Choice(["auto", "image", "video", "raw"]),
    default="auto",
    show_default=True,
    help="Cloudinary resource type (auto: Cloudinary decides from the file).",
)
@target_options
def upload(
    files: tuple[str, ...],
    preset_name: str,
    public_id: str | None,
    tags: tuple[str, ...],
    contexts: tuple[str, ...],
    verify: bool,
    fmt: str,
    allow_rejected: bool,
    parallelism: int,
    resource_type: str,
    **opts: Any,
) -> None:
    """Upload FILES (paths or URLs) with a preset resolved by name.

    Checks locally what Cloudinary would refuse before sending anything. One line per
    file as it finishes (stderr with --format json or markdown); progress with an ETA on
    stderr when it is a terminal. Exit 1 if an upload failed or moderation rejected it
    (--allow-rejected: exit 0 for rejections).
    """
    from cloudinary_presets.operations.upload_batch import upload_files
    from cloudinary_presets.operations.uploader import Uploader

    if public_id and len(files) > 1:
        raise click.UsageError("--public-id needs exactly one file")
    context = _context_pairs(contexts)
    machine = fmt != "text"
    session = Session(opts, machine_output=machine)
    uploader = Uploader(session.project, session.spec, session.target, os.environ)
    try:
        uploader.resolve(preset_name)
        if verify:
            uploader.verify(uploader.resolve(preset_name))
        with Progress(len(files), "uploading") as progress:

            def on_result(outcome: UploadOutcome) -> None:
                progress.line(upload_line(outcome), err=machine or not outcome.ok)
                progress.advance()

            batch = upload_files(
                uploader,
                files,
                preset=preset_name,
                public_id=public_id,
                tags=tags,
                context=context,
                resource_type=resource_type,
                parallelism=parallelism,
                on_result=on_result,
            )
    finally:
        session.close()
    if fmt == "json":
        OUT.echo(json.dumps(batch.to_list(), indent=2))
    elif fmt == "markdown":
        from cloudinary_presets.renderers.runtime import render_uploads_markdown

        OUT.echo(render_uploads_markdown(batch.to_list(), batch.summary()).rstrip("\n"))
    OUT.err(batch.summary())
    if not batch.succeeded(allow_rejected=allow_rejected):
        raise SystemExit(EXIT_ERROR)


@click.group()
def moderation() -> None:
    """Moderation tools: see what thresholds decide before changing them."""


@moderation.command("simulate")
@_PRESET
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="JSON lines: Cloudinary moderation_labels, upload responses, or Rekognition "
    "DetectModerationLabels output.",
)
@format_options("text", "json", "markdown", what="the comparison")
@target_options
def simulate(preset_name: str, labels: Path, fmt: str, **opts: Any) -> None:
    """Decide labelled samples under the definition and under the remote's current preset.

    Shows how many samples each side approves and rejects, which flip, and the categories
    that cause it: what a threshold change would do before it is applied.
    """
    from cloudinary_presets.operations.simulate import read_samples
    from cloudinary_presets.operations.workflow import simulate_preset

    samples = read_samples(labels)
    session = Session(opts, machine_output=fmt != "text")
    try:
        result = simulate_preset(
            session.project, session.spec, session.target, os.environ, preset_name, samples
        )
    finally:
        session.close()
    if fmt == "json":
        OUT.echo(json.dumps(result.to_dict(), indent=2))
        return
    if fmt == "markdown":
        from cloudinary_presets.renderers.runtime import render_simulation_markdown

        text = render_simulation_markdown(
            result.to_dict(),
            newly_rejected=result.impact.newly_rejected,
            newly_approved=result.impact.newly_approved,
        )
        OUT.echo(text.rstrip("\n"))
        return
    remote = "remote" if result.remote_exists else "remote (preset not created yet)"
    OUT.echo(f"Preset {result.preset.remote_name}: definition vs {remote}")
    OUT.echo(result.impact.summary(before_label="remote", after_label="definition"))
    if result.impact.newly_rejected:
        OUT.echo("  newly rejected samples: " + ", ".join(result.impact.newly_rejected[:10]))
    if result.impact.newly_approved:
        OUT.echo("  newly approved samples: " + ", ".join(result.impact.newly_approved[:10]))
