"""``upload_files``: many files with one preset, a bounded pool, one outcome per file in order.

Against the emulator over HTTP, plus a stand-in uploader where only timing is under test
(how many uploads run at once).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from upload_helpers import IMAGES, png, set_explicit_nudity, upload_requests

from cloudinary_presets.emulator import Emulator
from cloudinary_presets.errors import PresetsError, UsageError
from cloudinary_presets.operations.upload_batch import UploadOutcome, upload_files
from cloudinary_presets.operations.uploader import Uploader

SUNSET, PORTRAIT, SPINNER, BADGE = (
    str(IMAGES / n) for n in ("sunset.png", "portrait.jpg", "spinner.gif", "badge.webp")
)
NUDITY_62 = [
    {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 62.0},
    {"name": "Explicit Nudity", "parent_name": "", "confidence": 62.0},
]


def test_outcomes_keep_the_order_of_the_files_and_a_failure_does_not_stop_the_others(
    applied: Emulator, uploader: Uploader
) -> None:
    files = [SUNSET, BADGE, PORTRAIT, SPINNER]  # product-images accepts jpg, png, tif only
    seen: list[tuple[str, int]] = []

    batch = upload_files(
        uploader,
        files,
        preset="product-images",
        tags=["summer"],
        context={"alt": "x"},
        parallelism=3,
        on_result=lambda o: seen.append((o.file, threading.get_ident())),
    )

    assert [o.file for o in batch.outcomes] == files
    assert [o.ok for o in batch.outcomes] == [True, False, True, False]
    assert sorted(f for f, _ in seen) == sorted(files)  # once per file, as each finished
    assert {thread for _, thread in seen} == {threading.get_ident()}  # in the caller's thread
    assert [o.file for o in batch.failed] == [BADGE, SPINNER]
    assert all(isinstance(o.error, UsageError) for o in batch.failed)
    assert "accepts only jpg, png, tif" in str(batch.failed[0].error)
    assert upload_requests(applied) == 2  # refused locally: never sent
    assets = {a["original_filename"]: a for a in applied.assets("demo")}
    assert sorted(assets) == ["portrait", "sunset"]
    assert {"summer"} <= set(assets["sunset"]["tags"])
    assert batch.summary() == "2/4 uploaded; 0 rejected by moderation; 2 failed"
    assert not batch.succeeded(allow_rejected=True)

    first, second = batch.to_list()[:2]
    assert first["file"] == SUNSET
    assert first["ok"] is True
    assert first["public_id"] == assets["sunset"]["public_id"]
    assert first["secure_url"] == assets["sunset"]["secure_url"]
    assert first["response"]["public_id"] == assets["sunset"]["public_id"]
    assert second == {"file": BADGE, "ok": False, "error": str(batch.failed[0].error)}


def test_a_rejection_is_an_outcome_that_only_allow_rejected_accepts(
    applied: Emulator, remote_cli: Any, project_dir: Path, make_uploader: Any, cloudinary_url: str
) -> None:
    applied.configure(moderation_timing="sync")  # the decision is in the upload response
    content = png("moderated")
    applied.register_labels(content, labels=NUDITY_62)
    beach = project_dir / "beach.png"
    beach.write_bytes(content)
    set_explicit_nudity(project_dir, "0.5")
    assert remote_cli("apply", "--yes").exit_code == 0

    batch = upload_files(
        make_uploader(cloudinary_url), [str(beach), SUNSET], preset="ugc-moderated"
    )

    assert [o.rejected for o in batch.outcomes] == [True, False]
    assert [o.file for o in batch.rejected] == [str(beach)]
    assert batch.failed == []
    assert batch.summary() == "2/2 uploaded; 1 rejected by moderation; 0 failed"
    assert not batch.succeeded()
    assert batch.succeeded(allow_rejected=True)
    rejected = batch.to_list()[0]
    assert rejected["moderation_status"] == "rejected"
    assert [m["status"] for m in rejected["moderation"]] == ["rejected", "aborted"]


class _SlowUploader:
    """Stands in for :class:`Uploader` where only concurrency matters."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=2)
        self.lock = threading.Lock()
        self.active = self.most = 0

    def upload(self, path: str, **params: Any) -> Any:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            self.barrier.wait()  # returns only once `parties` uploads run at the same time
            time.sleep(0.05)  # time for one more worker, if there were one, to start an upload
            if path == "broken":
                raise RuntimeError("not a PresetsError")
            return _Response(path)
        finally:
            with self.lock:
                self.active -= 1


class _Response:
    def __init__(self, path: str) -> None:
        self.public_id = path
        self.rejected = False


@pytest.mark.parametrize("parallelism", [1, 3])
def test_at_most_parallelism_uploads_run_at_once(parallelism: int) -> None:
    fake = _SlowUploader(parallelism)
    files = [f"f{i}" for i in range(3 * parallelism)]

    batch = upload_files(fake, files, preset="p", parallelism=parallelism)  # type: ignore[arg-type]

    assert fake.most == parallelism
    assert [o.result.public_id for o in batch.outcomes] == files  # type: ignore[union-attr]


def test_an_unexpected_error_is_not_swallowed() -> None:
    """Only PresetsError becomes a failed outcome; a bug still surfaces."""
    fake = _SlowUploader(1)
    with pytest.raises(RuntimeError, match="not a PresetsError"):
        upload_files(fake, ["ok", "broken"], preset="p", parallelism=1)  # type: ignore[arg-type]


def test_an_outcome_of_an_error_reads_as_failed() -> None:
    outcome = UploadOutcome("x.png", error=PresetsError("boom"))
    assert not outcome.ok
    assert not outcome.rejected
    assert outcome.to_dict() == {"file": "x.png", "ok": False, "error": "boom"}
