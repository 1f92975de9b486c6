"""Upload many files with one preset: a bounded pool, one outcome per file, in order.

A failed file (a :class:`~cloudinary_presets.errors.PresetsError`) is an outcome, not the
end of the batch: the other files still go, and the caller sees which failed and why.
With ``wait``, each file's worker then waits for its moderation verdict (moderation is
asynchronous); a file whose verdict did not come in time is uploaded but ``undecided``.
``on_result`` is called in the caller's thread as each file finishes (for progress lines);
the returned outcomes are in the order the files were given. Ctrl-C starts no new file
and no new chunk, waits for the requests in flight, and raises
:class:`~cloudinary_presets.errors.UploadsInterrupted` naming every file.
"""

from __future__ import annotations

import concurrent.futures
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cloudinary_presets.cloudinary.upload_api import DEFAULT_CHUNK_SIZE
from cloudinary_presets.errors import PresetsError, UploadsInterrupted
from cloudinary_presets.model.moderation_state import ModerationState
from cloudinary_presets.operations.moderation_wait import DEFAULT_TIMEOUT
from cloudinary_presets.operations.uploader import Uploader, UploadResult

#: How often the batch looks up from waiting (a Ctrl-C is handled between two looks).
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class UploadOutcome:
    """One file of a batch: Cloudinary's response, or the error that stopped it; with
    waiting, the final ``verdict`` (or, in ``error``, why it did not come)."""

    file: str
    result: UploadResult | None = None
    error: PresetsError | None = None
    verdict: ModerationState | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def undecided(self) -> bool:
        """Uploaded, but its moderation verdict did not come while waiting."""
        return self.result is not None and self.error is not None

    @property
    def rejected(self) -> bool:
        """Uploaded, but moderation rejected it (the verdict when waited for)."""
        if self.verdict is not None:
            return self.verdict.status == "rejected"
        return self.result is not None and self.result.rejected

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"file": self.file, "ok": False, "error": str(self.error)}
        out = {"file": self.file, "ok": self.ok, **self.result.to_dict()}
        if self.verdict is not None:
            out["verdict"] = self.verdict.to_dict()
        if self.error is not None:
            out["error"] = str(self.error)
        return out


@dataclass(frozen=True)
class UploadBatch:
    """Every file's outcome, in the order the files were given."""

    outcomes: tuple[UploadOutcome, ...]

    @property
    def failed(self) -> list[UploadOutcome]:
        """Files that were not uploaded."""
        return [o for o in self.outcomes if o.result is None]

    @property
    def undecided(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if o.undecided]

    @property
    def rejected(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if o.rejected]

    def succeeded(self, *, allow_rejected: bool = False) -> bool:
        """No file failed or stayed undecided, and none was rejected by moderation
        (unless ``allow_rejected``)."""
        return not self.failed and not self.undecided and (allow_rejected or not self.rejected)

    def summary(self) -> str:
        total, failed = len(self.outcomes), len(self.failed)
        text = (
            f"{total - failed}/{total} uploaded; {len(self.rejected)} rejected by moderation; "
            f"{failed} failed"
        )
        undecided = len(self.undecided)
        return f"{text}; {undecided} undecided" if undecided else text

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
    wait: bool = False,
    wait_timeout: float = DEFAULT_TIMEOUT,
    on_waiting: Callable[[str, ModerationState], None] | None = None,
) -> UploadBatch:
    """Upload ``files`` (paths or URLs) with ``preset``, at most ``parallelism`` at a time;
    a file larger than ``chunk_size`` bytes goes in chunks.

    With ``wait``, then wait up to ``wait_timeout`` s for each file's verdict
    (``on_waiting(file, state)`` is called from the worker at each undecided poll).
    """
    stop = threading.Event()

    def one(path: str) -> UploadOutcome:
        try:
            result = uploader.upload(
                path,
                preset=preset,
                public_id=public_id,
                tags=list(tags),
                context=context,
                resource_type=resource_type,
                chunk_size=chunk_size,
                stop=stop,
            )
        except PresetsError as exc:
            return UploadOutcome(path, error=exc)
        if not wait or stop.is_set():
            return UploadOutcome(path, result=result)
        report = None if on_waiting is None else functools.partial(on_waiting, path)
        try:
            verdict = uploader.wait_for_moderation(result, timeout=wait_timeout, on_poll=report)
        except PresetsError as exc:
            return UploadOutcome(path, result=result, error=exc)
        return UploadOutcome(path, result=result, verdict=verdict)

    outcomes: dict[str, UploadOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=parallelism)
    futures = [pool.submit(one, f) for f in files]
    try:
        pending = set(futures)
        while pending:  # polled: a Ctrl-C is noticed within a moment, never after a file
            done, pending = concurrent.futures.wait(
                pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED
            )
            for future in done:
                outcome = future.result()
                outcomes[outcome.file] = outcome
                on_result(outcome)
    except KeyboardInterrupt:
        stop.set()  # no new chunk starts; queued files never start
        pool.shutdown(wait=False, cancel_futures=True)
        for future in futures:  # a second Ctrl-C stops this wait
            if not future.cancelled():
                outcome = future.result()
                outcomes.setdefault(outcome.file, outcome)
        raise UploadsInterrupted(_interrupted(files, outcomes)) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return UploadBatch(tuple(outcomes[f] for f in files))


def _interrupted(files: Sequence[str], outcomes: Mapping[str, UploadOutcome]) -> str:
    done = [f for f in files if f in outcomes and outcomes[f].result is not None]
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
