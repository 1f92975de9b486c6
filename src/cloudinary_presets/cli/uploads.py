"""``presets upload``: files with a preset resolved by name, and (``--wait``) their verdicts."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from cloudinary_presets.cli.options import PRESET_OPTION, Session, format_options, target_options
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.cli.progress import Progress
from cloudinary_presets.errors import EXIT_ERROR

if TYPE_CHECKING:
    from cloudinary_presets.model.moderation_state import ModerationState
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
    """``file -> public_id  url  moderation: ...  [verdict: ...]``, or why the file failed."""
    result = outcome.result
    if result is None:
        return OUT.style(f"{outcome.file}: FAILED: {outcome.error}", fg="red")
    state = outcome.verdict or result.moderation_state
    statuses = ", ".join(f"{s.kind} {s.status}" for s in state.steps)
    moderation = f"  moderation: {statuses}" if statuses else ""
    if outcome.verdict is not None:
        moderation += f"  verdict: {outcome.verdict.describe()}"
    elif outcome.undecided:
        moderation += f"  verdict: undecided ({outcome.error})"
    color = "red" if outcome.rejected or outcome.undecided else "green"
    return (
        OUT.style(f"{outcome.file} -> {result.public_id}", fg=color)
        + f"  {result.secure_url}{moderation}"
    )


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


class WaitingLine:
    """One line on stderr, rewritten in place, naming the files whose verdict is awaited.

    Workers report from their threads; the caller's result lines clear it first and it
    is drawn again below them. Off (silent) when stderr is not a terminal.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._waiting: dict[str, str] = {}
        self._started = time.monotonic()

    def waiting(self, file: str, state: ModerationState) -> None:
        with self._lock:
            self._waiting[file] = state.waiting_for or "moderation"
            self._draw()

    def print(self, outcome: UploadOutcome, write: Callable[[str], None]) -> None:
        with self._lock:
            self._waiting.pop(outcome.file, None)
            self._clear()
            write(upload_line(outcome))
            self._draw()

    def text(self) -> str:
        names = ", ".join(f"{Path(f).name} ({k})" for f, k in sorted(self._waiting.items()))
        elapsed = time.monotonic() - self._started
        return f"waiting for moderation ({elapsed:.0f} s): {names}"

    def _draw(self) -> None:
        if self.enabled and self._waiting:
            OUT.progress(self.text(), err=True)

    def _clear(self) -> None:
        if self.enabled:
            OUT.clear_progress(err=True)


@contextlib.contextmanager
def reporting(
    total: int, *, machine: bool, wait: bool = False
) -> Iterator[tuple[Callable[[UploadOutcome], None], WaitingLine]]:
    """Per-file callbacks: one result line per file as it finishes (stdout; stderr for
    machine output, whose stdout is the document alone; failures always on stderr), under
    a status line on stderr when it is a terminal: the count and an ETA, or with ``wait``
    the files whose verdict is awaited.
    """
    line = WaitingLine(wait and _stderr_is_tty())
    counter = Progress(0 if wait else total, "uploading")
    with counter:

        def on_result(outcome: UploadOutcome) -> None:
            err = machine or not outcome.ok
            if wait:
                line.print(outcome, OUT.err if err else OUT.echo)
                return
            counter.line(upload_line(outcome), err=err)
            counter.advance()

        yield on_result, line


@click.command()
@click.argument("files", nargs=-1, required=True)
@PRESET_OPTION
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
    "--wait",
    is_flag=True,
    help="Wait for each file's moderation verdict (polls the Admin API, backing off).",
)
@click.option(
    "--wait-timeout",
    type=click.FloatRange(0, 3600),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="With --wait: how long to wait for each file's automatic moderators.",
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
    fmt: str,
    allow_rejected: bool,
    wait: bool,
    wait_timeout: float,
    parallelism: int,
    resource_type: str,
    chunk_size: int,
    **opts: Any,
) -> None:
    """Upload FILES (paths or URLs) with a preset resolved by name.

    Checks locally what Cloudinary would refuse before sending anything. One line per
    file as it finishes (stderr with --format json or markdown); a status line with the
    count and an ETA on stderr when it is a terminal. Exit 1 if an upload failed or
    moderation rejected it (--allow-rejected: exit 0 for rejections).
    Moderation is decided after the upload: --wait waits for each verdict (approved,
    rejected, or pending for a person) and exits 1 if one did not come in time.
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
        with reporting(len(files), machine=machine, wait=wait) as (on_result, line):
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
                wait=wait,
                wait_timeout=wait_timeout,
                on_waiting=line.waiting,
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
