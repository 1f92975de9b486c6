"""Cloudinary's "Moderate images with AI" tutorial, with the official Python and Node.js
SDKs against the emulator over HTTP (issue 11, section 5).

Each test runs once per SDK (``sdk`` fixture): ``upload(..., moderation="manual")``
answers pending, ``moderation="aws_rek"`` decides shortly after, a preset with
Rekognition thresholds is created, listed, read, updated, used and deleted, signed and
unsigned uploads, ``upload_large``, and the manual review queue. Every test checks what
the SDK returned and what the emulator holds afterwards.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from sdk_clients import SdkError

from cloudinary_presets.emulator import Emulator

NUDITY_75 = [
    {"name": "Explicit Nudity", "parent_name": "", "confidence": 75.0},
    {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 75.0},
]
THRESHOLDS = "aws_rek:explicit_nudity:0.7:suggestive:ignore|manual"


def png_file(folder: Path, note: str) -> Path:
    """A small valid PNG file (distinct content per ``note``)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x10\x80\xf0" * 4 for _ in range(3)))
    content = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + note.encode()) + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )  # fmt: skip
    path = folder / f"{note}.png"
    path.write_bytes(content)
    return path


def statuses(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["kind"], m["status"]) for m in resource.get("moderation") or []]


def decided(sdk: Any, public_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The resource details (through the SDK) once no automatic moderator is pending."""
    deadline = time.monotonic() + timeout
    while True:
        details = sdk.resource(public_id)
        if not [k for k, s in statuses(details) if s == "pending" and k != "manual"]:
            return details
        assert time.monotonic() < deadline, f"{public_id} was never decided"
        time.sleep(0.02)


def stored(emulator: Emulator, public_id: str) -> dict[str, object]:
    [asset] = [a for a in emulator.assets("demo") if a["public_id"] == public_id]
    return asset


def test_manual_moderation_and_the_review_queue(sdk: Any, emulator: Emulator, tmp_path) -> None:
    first = sdk.upload(png_file(tmp_path, "first"), moderation="manual")
    second = sdk.upload(png_file(tmp_path, "second"), moderation="manual")
    assert first["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert first["moderation_status"] == "pending"
    assert stored(emulator, first["public_id"])["moderation_status"] == "pending"

    queue = sdk.queue("manual", "pending", max_results=1)
    assert [r["public_id"] for r in queue["resources"]] == [second["public_id"]]
    rest = sdk.queue("manual", "pending", max_results=1, next_cursor=queue["next_cursor"])
    assert [r["public_id"] for r in rest["resources"]] == [first["public_id"]]

    approved = sdk.decide(first["public_id"], "approved")
    assert statuses(approved) == [("manual", "approved")]
    rejected = sdk.decide(second["public_id"], "rejected")
    assert (rejected["moderation_status"], rejected["placeholder"]) == ("rejected", True)
    assert sdk.queue("manual", "pending")["resources"] == []
    assert [r["public_id"] for r in sdk.queue("manual", "approved")["resources"]] == [
        first["public_id"]
    ]
    assert stored(emulator, first["public_id"])["moderation_status"] == "approved"
    assert stored(emulator, second["public_id"])["moderation_status"] == "rejected"


def test_aws_rek_decides_after_the_upload(sdk: Any, emulator: Emulator, tmp_path) -> None:
    flagged = png_file(tmp_path, "flagged")
    emulator.register_labels(flagged.read_bytes(), labels=NUDITY_75)
    clean = sdk.upload(png_file(tmp_path, "clean"), moderation="aws_rek")
    rejected = sdk.upload(flagged, moderation="aws_rek")
    assert clean["moderation"] == [{"kind": "aws_rek", "status": "pending"}]
    assert statuses(decided(sdk, clean["public_id"])) == [("aws_rek", "approved")]
    details = decided(sdk, rejected["public_id"])
    assert statuses(details) == [("aws_rek", "rejected")]
    response = details["moderation"][0]["response"]
    assert response["moderation_labels"] == NUDITY_75
    assert response["moderation_model_version"] == "7.0"
    assert stored(emulator, rejected["public_id"])["placeholder"] is True


def test_a_preset_with_rekognition_thresholds(sdk: Any, emulator: Emulator, tmp_path) -> None:
    create = {"moderation": THRESHOLDS, "folder": "ugc", "tags": ["ugc"], "unsigned": False}
    update = {**create, "folder": "ugc-v2", "allowed_formats": ["png", "jpg"]}
    steps = sdk.preset_lifecycle("ugc_moderated", create, update)
    assert steps["created"]["message"] == "created"
    assert steps["created"]["name"] == "ugc_moderated"
    [listed] = [p for p in steps["listed"]["presets"] if p["name"] == "ugc_moderated"]
    assert listed["settings"] == {"moderation": THRESHOLDS, "folder": "ugc", "tags": "ugc"}
    assert steps["fetched"]["settings"]["tags"] == ["ugc"]  # the get-one form is parsed
    assert steps["updated"]["message"] == "updated"
    assert steps["refetched"]["settings"] == {
        "moderation": THRESHOLDS,
        "folder": "ugc-v2",
        "tags": ["ugc"],
        "allowed_formats": ["png", "jpg"],
    }
    [preset] = emulator.presets("demo")
    assert preset["settings"]["allowed_formats"] == "png,jpg"

    flagged = png_file(tmp_path, "with-preset")
    emulator.register_labels(flagged.read_bytes(), labels=NUDITY_75)
    result = sdk.upload(flagged, upload_preset="ugc_moderated")
    assert result["public_id"].startswith("ugc-v2/")
    assert statuses(result) == [("aws_rek", "pending"), ("manual", "queued")]
    details = decided(sdk, result["public_id"])
    assert statuses(details) == [("aws_rek", "rejected"), ("manual", "aborted")]  # 0.75 >= 0.7

    deleted = sdk.delete_preset("ugc_moderated")
    assert deleted["message"] == "deleted"
    assert emulator.presets("demo") == []
    with pytest.raises(SdkError, match="Can't find upload preset named ugc_moderated"):
        sdk.upload_preset("ugc_moderated")


def test_signed_and_unsigned_uploads(sdk: Any, emulator: Emulator, tmp_path) -> None:
    settings = {"unsigned": True, "folder": "inbox"}
    sdk.preset_lifecycle("open", settings, settings)  # an update sends every setting
    unsigned = sdk.unsigned_upload(png_file(tmp_path, "u"), "open", tags=["mine"])
    assert unsigned["public_id"].startswith("inbox/")  # the preset applied...
    assert unsigned["tags"] == ["mine"]
    assert "api_key" not in unsigned  # ...and nothing was signed
    with pytest.raises(SdkError, match="Eager parameter is not allowed when using unsigned"):
        sdk.unsigned_upload(png_file(tmp_path, "x"), "open", eager="w_10")
    signed = sdk.upload(png_file(tmp_path, "s"), public_id="chosen", overwrite=True)
    assert (signed["public_id"], signed["api_key"]) == ("chosen", emulator.clouds[0].api_key)
    assert {a["public_id"] for a in emulator.assets("demo")} == {unsigned["public_id"], "chosen"}


def test_upload_large_in_chunks(sdk: Any, emulator: Emulator, tmp_path) -> None:
    content = os.urandom(5_000)
    path = tmp_path / "large.bin"
    path.write_bytes(content)
    result = sdk.upload_large(path, chunk_size=1_000, resource_type="raw")
    assert (result["resource_type"], result["bytes"]) == ("raw", 5_000)
    [asset] = emulator.assets("demo")
    assert asset["sha256"] == hashlib.sha256(content).hexdigest()
    requests = emulator.stats()["requests"]
    assert requests["POST /{resource_type}/upload"] == 5  # five chunks, one asset
