"""Upload many files with one preset: a bounded pool, one outcome per file, in order.

A failed file (a :class:`~cloudinary_presets.errors.PresetsError`) is an outcome, not the
end of the batch: the other files still go, and the caller sees which failed and why.
``on_result`` is called in the caller's thread as each file finishes (for progress lines);
the returned outcomes are in the order the files were given. Ctrl-C starts no new file
and no new chunk, waits for the requests in flight, and raises
:class:`~cloudinary_presets.errors.UploadsInterrupted` naming every file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from cloudinary_presets.cloudinary.upload_api import DEFAULT_CHUNK_SIZE
from cloudinary_presets.errors import PresetsError, UploadsInterrupted
from cloudinary_presets.operations.uploader import Uploader, UploadResult


@dataclass(frozen=True)
class UploadOutcome:
    """One file of a batch: Cloudinary's response, or the error that stopped it."""

    file: str
    result: UploadResult | None = None
    error: PresetsError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def rejected(self) -> bool:
        """Uploaded, but moderation rejected it."""
        return self.result is not None and self.result.rejected

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"file": self.file, "ok": False, "error": str(self.error)}
        return {"file": self.file, "ok": True, **self.result.to_dict()}


@dataclass(frozen=True)
class UploadBatch:
    """Every file's outcome, in the order the files were given."""

    outcomes: tuple[UploadOutcome, ...]

    @property
    def failed(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def rejected(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if o.rejected]

    def succeeded(self, *, allow_rejected: bool = False) -> bool:
        """No file failed, and none was rejected by moderation (unless ``allow_rejected``)."""
        return not self.failed and (allow_rejected or not self.rejected)

    def summary(self) -> str:
        total, failed = len(self.outcomes), len(self.failed)
        return (
            f"{total - failed}/{total} uploaded; {len(self.rejected)} rejected by moderation; "
            f"{failed} failed"
        )

    def to_list(self) -> list[dict[str, Any]]:
        """The JSON form: one object per file (``presets upload --json``)."""
        return [o.to_dict() for o in self.outcomes]


def upload_files(
    uploader: Uploader,
    files: Sequence[str],
    *,
    preset: str,
    public_id: str | None = None,
    tags: Sequence[str] = (),
    context: Mapping[str, str] | None = None,
    resource_type: str = "auto",
    parallelism: int = 4,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_result: Callable[[UploadOutcome], None] = lambda outcome: None,
) -> UploadBatch:
    """Upload ``files`` (paths or URLs) with ``preset``, at most ``parallelism`` at a time;
    a file larger than ``chunk_size`` bytes goes in chunks."""

    stop = threading.Event()

    def one(path: str) -> UploadResult:
        return uploader.upload(
            path,
            preset=preset,
            public_id=public_id,
            tags=list(tags),
            context=context,
            resource_type=resource_type,
            chunk_size=chunk_size,
            stop=stop,
        )

    outcomes: dict[str, UploadOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=parallelism)
    futures = {pool.submit(one, f): f for f in files}
    try:
        for future in as_completed(futures):
            outcomes[futures[future]] = _outcome(futures[future], future)
            on_result(outcomes[futures[future]])
    except KeyboardInterrupt:
        stop.set()  # no new chunk starts; queued files never start
        pool.shutdown(wait=False, cancel_futures=True)
        for future, path in futures.items():  # a second Ctrl-C stops this wait
            if path not in outcomes and not future.cancelled():
                outcomes[path] = _outcome(path, future)
        raise UploadsInterrupted(_interrupted(files, outcomes)) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return UploadBatch(tuple(outcomes[f] for f in files))


def _outcome(path: str, future: Future[UploadResult]) -> UploadOutcome:
    try:
        return UploadOutcome(path, result=future.result())
    except PresetsError as exc:
        return UploadOutcome(path, error=exc)


def _interrupted(files: Sequence[str], outcomes: Mapping[str, UploadOutcome]) -> str:
    done = [f for f in files if f in outcomes and outcomes[f].ok]
    lines = [
        f"interrupted: {len(done)}/{len(files)} uploaded, "
        f"{len(outcomes) - len(done)} failed, {len(files) - len(outcomes)} not uploaded"
    ]
    for path in files:
        outcome = outcomes.get(path)
        if outcome is None:
            lines.append(f"  not uploaded: {path}")
        elif outcome.result is not None:
            lines.append(f"  uploaded: {path} -> {outcome.result.public_id}")
        else:
            lines.append(f"  failed: {path}: {outcome.error}")
    return "\n".join(lines)
