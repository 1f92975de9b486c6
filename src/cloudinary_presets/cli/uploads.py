"""Runtime commands: ``presets upload`` and ``presets moderation simulate``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from cloudinary_presets.cli.options import Session, target_options
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.errors import EXIT_ERROR

if TYPE_CHECKING:
    from cloudinary_presets.operations.upload_batch import UploadOutcome


if TYPE_CHECKING:
    _IntParam = click.ParamType[int]
else:  # click before 8.2 has no generic ParamType
    _IntParam = click.ParamType


class ByteSize(_IntParam):
    """``20MB``, ``5MiB``, ``20000000``: a number of bytes (KB/MB/GB are powers of 1000,
    KiB/MiB/GiB powers of 1024), at least Cloudinary's smallest chunk."""

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {
        "": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
        "kib": 2**10, "mib": 2**20, "gib": 2**30,
    }  # fmt: skip

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from cloudinary_presets.cloudinary.upload_api import MIN_CHUNK_SIZE

        if isinstance(value, int):
            size = value
        else:
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(value))
            unit = match.group(2).lower() if match else ""
            if match is None or unit not in self._UNITS:
                self.fail(f"{value!r} is not a size such as 20MB, 8MiB or 20000000", param, ctx)
            size = int(float(match.group(1)) * self._UNITS[unit])
        if size < MIN_CHUNK_SIZE:
            self.fail(
                f"{value} is {size} bytes; Cloudinary needs chunks of at least "
                f"{MIN_CHUNK_SIZE} bytes (5MiB)",
                param,
                ctx,
            )
        return size


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


@contextlib.contextmanager
def progress(total: int, *, lines_to_stderr: bool) -> Iterator[Any]:
    """A per-file callback: one line per file as it finishes, under a bar on a TTY.

    The lines go to stderr on a TTY (under the bar) and with ``lines_to_stderr`` (--json,
    whose stdout must be the JSON alone); failures always go to stderr.
    """
    tty = sys.stdout.isatty()
    to_stderr = tty or lines_to_stderr
    bar: Any = (
        click.progressbar(length=total, label="uploading", file=sys.stderr)
        if tty
        else contextlib.nullcontext()
    )
    with bar as shown:

        def on_result(outcome: UploadOutcome) -> None:
            line = upload_line(outcome)
            (OUT.err if to_stderr or not outcome.ok else OUT.echo)(line)
            if shown is not None:
                shown.update(1)

        yield on_result


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--preset",
    "preset_name",
    required=True,
    metavar="NAME",
    help="The preset, by the name in its file.",
)
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
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
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
)
@click.option(
    "--chunk-size",
    type=ByteSize(),
    default="20MB",
    show_default=True,
    help="Files larger than this are uploaded in chunks of this size (at least 5MiB).",
)
@target_options
def upload(
    files: tuple[str, ...],
    preset_name: str,
    public_id: str | None,
    tags: tuple[str, ...],
    contexts: tuple[str, ...],
    verify: bool,
    as_json: bool,
    allow_rejected: bool,
    parallelism: int,
    resource_type: str,
    chunk_size: int,
    **opts: Any,
) -> None:
    """Upload FILES (paths or URLs) with a preset resolved by name.

    Checks locally what Cloudinary would refuse before sending anything. Exit 1 if an
    upload failed or moderation rejected it (--allow-rejected: exit 0 for rejections).
    """
    from cloudinary_presets.operations.upload_batch import upload_files
    from cloudinary_presets.operations.uploader import Uploader

    if public_id and len(files) > 1:
        raise click.UsageError("--public-id needs exactly one file")
    context = _context_pairs(contexts)
    session = Session(opts, machine_output=as_json)
    uploader = Uploader(session.project, session.spec, session.target, os.environ)
    try:
        uploader.resolve(preset_name)
        if verify:
            uploader.verify(uploader.resolve(preset_name))
        with progress(len(files), lines_to_stderr=as_json) as on_result:
            batch = upload_files(
                uploader,
                files,
                preset=preset_name,
                public_id=public_id,
                tags=tags,
                context=context,
                resource_type=resource_type,
                parallelism=parallelism,
                chunk_size=chunk_size,
                on_result=on_result,
            )
    finally:
        session.close()
    if as_json:
        OUT.echo(json.dumps(batch.to_list(), indent=2))
    OUT.err(batch.summary())
    if not batch.succeeded(allow_rejected=allow_rejected):
        raise SystemExit(EXIT_ERROR)


@click.group()
def moderation() -> None:
    """Moderation tools: see what thresholds decide before changing them."""


@moderation.command("simulate")
@click.option("--preset", "preset_name", required=True, metavar="NAME")
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="JSON lines: Cloudinary moderation_labels, upload responses, or Rekognition "
    "DetectModerationLabels output.",
)
@click.option("--json", "as_json", is_flag=True)
@target_options
def simulate(preset_name: str, labels: Path, as_json: bool, **opts: Any) -> None:
    """Decide labelled samples under the definition and under the remote's current preset."""
    from cloudinary_presets.operations.simulate import read_samples
    from cloudinary_presets.operations.workflow import simulate_preset

    samples = read_samples(labels)
    session = Session(opts, machine_output=as_json)
    try:
        result = simulate_preset(
            session.project, session.spec, session.target, os.environ, preset_name, samples
        )
    finally:
        session.close()
    if as_json:
        OUT.echo(json.dumps(result.to_dict(), indent=2))
        return
    remote = "remote" if result.remote_exists else "remote (preset not created yet)"
    OUT.echo(f"Preset {result.preset.remote_name}: definition vs {remote}")
    OUT.echo(result.impact.summary(before_label="remote", after_label="definition"))
    if result.impact.newly_rejected:
        OUT.echo("  newly rejected samples: " + ", ".join(result.impact.newly_rejected[:10]))
    if result.impact.newly_approved:
        OUT.echo("  newly approved samples: " + ", ".join(result.impact.newly_approved[:10]))
