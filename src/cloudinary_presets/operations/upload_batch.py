"""Upload many files with one preset: a bounded pool, one outcome per file, in order.

A failed file (a :class:`~cloudinary_presets.errors.PresetsError`) is an outcome, not the
end of the batch: the other files still go, and the caller sees which failed and why.
``on_result`` is called in the caller's thread as each file finishes (for progress lines);
the returned outcomes are in the order the files were given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from cloudinary_presets.cloudinary.upload_api import DEFAULT_CHUNK_SIZE
from cloudinary_presets.errors import PresetsError
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

    def one(path: str) -> UploadResult:
        return uploader.upload(
            path,
            preset=preset,
            public_id=public_id,
            tags=list(tags),
            context=context,
            resource_type=resource_type,
            chunk_size=chunk_size,
        )

    outcomes: dict[str, UploadOutcome] = {}
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        futures = {pool.submit(one, f): f for f in files}
        for future in as_completed(futures):
            path = futures[future]
            try:
                outcome = UploadOutcome(path, result=future.result())
            except PresetsError as exc:
                outcome = UploadOutcome(path, error=exc)
            outcomes[path] = outcome
            on_result(outcome)
    return UploadBatch(tuple(outcomes[f] for f in files))
