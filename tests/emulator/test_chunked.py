"""Chunked uploads (``upload_large``): every byte assembled, nothing silently truncated.

The SDK sends each chunk as a normal signed upload with ``X-Unique-Upload-Id`` and
``Content-Range: bytes START-END/TOTAL`` (the Node.js SDK: ``/-1`` until the last one).
Small chunk sizes keep these tests fast.
"""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path
from typing import Any

import cloudinary.api as api
import cloudinary.uploader as uploader
import pytest
from cloudinary.exceptions import BadRequest

from cloudinary_presets.emulator import Emulator

UPLOADS = "POST /{resource_type}/upload"
X_CLD_ERROR = "X-Cld-Error"


def chunk(client: Any, upload_id: str, content: bytes, span: str, **params: object) -> Any:
    """One chunk as the SDK sends it (signed, raw)."""
    return client.upload(
        params,
        content,
        filename="big.bin",
        resource_type="raw",
        headers={"X-Unique-Upload-Id": upload_id, "Content-Range": f"bytes {span}"},
    )


def test_upload_large_assembles_every_byte(sdk: Emulator, client, tmp_path: Path) -> None:
    content = os.urandom(10_000)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    result = uploader.upload_large(str(path), chunk_size=1_000)  # the SDK's default: raw
    assert result["resource_type"] == "raw"
    assert result["bytes"] == 10_000
    assert result["public_id"].endswith(".bin")
    assert client.get(result["secure_url"]).content == content
    stats = sdk.stats()
    assert stats["requests"][UPLOADS] == 10
    assert stats["uploads"] == 1  # one asset, from ten requests
    [asset] = sdk.assets("demo")
    assert asset["etag"] == result["etag"]


def test_an_image_in_chunks_is_sniffed_and_moderated(sdk: Emulator, files, decided) -> None:
    content = files.png(width=40, height=30, note="x" * 3_000)
    api.create_upload_preset(name="ugc", moderation="aws_rek|manual", allowed_formats="png")
    result = uploader.upload_large(
        io.BytesIO(content), chunk_size=512, resource_type="image", upload_preset="ugc"
    )
    assert (result["format"], result["width"], result["height"]) == ("png", 40, 30)
    assert result["bytes"] == len(content)
    assert result["moderation_status"] == "pending"
    details = decided(result["public_id"])
    assert [(m["kind"], m["status"]) for m in details["moderation"]] == [
        ("aws_rek", "approved"),
        ("manual", "pending"),
    ]


def test_unsigned_chunked_upload(sdk: Emulator, files, client) -> None:
    api.create_upload_preset(name="open", unsigned=True, folder="inbox")
    content = os.urandom(3_000)
    result = uploader.upload_large(
        io.BytesIO(content), chunk_size=1_024, unsigned=True, upload_preset="open"
    )
    assert result["public_id"].startswith("inbox/")
    assert "api_key" not in result
    assert client.get(result["secure_url"]).content == content


def test_intermediate_chunks_answer_as_cloudinary_does(emu: Emulator, client) -> None:
    data = bytes(range(250))
    first = chunk(client, "u1", data[:100], "0-99/250", public_id="big")
    assert first.status_code == 200
    # api-schemas non_final_chunk_upload_response: done false, the bytes received so far
    assert first.json() == {
        "done": False,
        "bytes": 100,
        "kind": "upload",
        "resource_type": "raw",
        "public_id": "big",
    }
    assert chunk(client, "u1", data[100:200], "100-199/250", public_id="big").json()["bytes"] == 200
    assert emu.assets("demo") == []  # nothing stored before the last chunk
    last = chunk(client, "u1", data[200:], "200-249/250", public_id="big").json()
    assert (last["public_id"], last["bytes"]) == ("big", 250)
    assert client.get(last["secure_url"]).content == data
    assert emu.stats()["uploads"] == 1


def test_a_missing_chunk_is_an_error_until_it_arrives(emu: Emulator, client) -> None:
    data = os.urandom(300)
    assert chunk(client, "gap", data[:100], "0-99/300").status_code == 200
    last = chunk(client, "gap", data[200:], "200-299/300")
    assert last.status_code == 400
    assert last.json()["error"]["message"] == (
        "Chunked upload gap is incomplete: bytes 100-199 of 300 were never received"
        " (this chunk was kept; the upload completes when they arrive)"
    )
    assert emu.assets("demo") == []
    done = chunk(client, "gap", data[100:200], "100-199/300").json()
    assert done["bytes"] == 300
    assert client.get(done["secure_url"]).content == data


def test_overlaps_sizes_and_totals_are_checked(emu: Emulator, client) -> None:
    data = os.urandom(200)
    assert chunk(client, "o", data[:100], "0-99/200").status_code == 200
    retry = chunk(client, "o", data[:100], "0-99/200")  # the same chunk again: a retry
    assert (retry.status_code, retry.json()["bytes"]) == (200, 100)
    overlap = chunk(client, "o", data[50:150], "50-149/200")
    assert overlap.status_code == 400
    assert "bytes 50-149 overlap bytes 0-99 already received" in overlap.json()["error"]["message"]
    different = chunk(client, "o", os.urandom(100), "0-99/200")  # same range, other bytes
    assert different.status_code == 400
    short = chunk(client, "o", data[100:150], "100-199/200")
    assert "announce 100 bytes but the chunk has 50" in short.json()["error"]["message"]
    totals = chunk(client, "o", data[100:], "100-199/300")
    assert "totals disagree (200, 300 bytes)" in totals.json()["error"]["message"]
    beyond = chunk(client, "o", data[100:], "100-199/150")
    assert beyond.status_code == 400
    bad = chunk(client, "o", data[100:], "100-199")
    assert "Invalid Content-Range header" in bad.json()["error"]["message"]
    assert X_CLD_ERROR in bad.headers
    finished = chunk(client, "o", data[100:], "100-199/200").json()
    assert client.get(finished["secure_url"]).content == data


def test_node_style_unknown_totals_until_the_last_chunk(emu: Emulator, client) -> None:
    data = os.urandom(120)
    assert chunk(client, "n", data[:50], "0-49/-1").json()["bytes"] == 50
    assert chunk(client, "n", data[50:100], "50-99/-1").json()["done"] is False
    result = chunk(client, "n", data[100:], "100-119/120").json()
    assert result["bytes"] == 120
    assert client.get(result["secure_url"]).content == data


def test_both_headers_are_needed(emu: Emulator, client) -> None:
    response = client.upload(
        {}, b"abc", filename="a.bin", resource_type="raw", headers={"Content-Range": "bytes 0-2/3"}
    )
    assert response.status_code == 400
    assert "X-Unique-Upload-Id and the Content-Range" in response.json()["error"]["message"]


def test_chunks_wait_in_the_database_not_in_memory(tmp_path: Path, make_client) -> None:
    database = tmp_path / "emulator.sqlite"
    data = os.urandom(2_000)
    with Emulator(database) as emu:
        client = make_client(emu)
        assert chunk(client, "db", data[:1_000], "0-999/2000").status_code == 200
        with sqlite3.connect(database) as db:
            [(kept,)] = db.execute("SELECT SUM(LENGTH(data)) FROM upload_chunks").fetchall()
        assert kept == 1_000
        result = chunk(client, "db", data[1_000:], "1000-1999/2000").json()
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT COUNT(*) FROM upload_chunks").fetchall() == [(0,)]
        assert client.get(result["secure_url"]).content == data


def test_a_failing_last_chunk_keeps_the_session(sdk: Emulator, client, files) -> None:
    api.create_upload_preset(name="jpg_only", allowed_formats="jpg")
    content = files.png(note="y" * 500)
    half = len(content) // 2
    span = f"0-{half - 1}/{len(content)}"
    params = {"upload_preset": "jpg_only"}
    first = client.upload(
        params,
        content[:half],
        headers={"X-Unique-Upload-Id": "f", "Content-Range": f"bytes {span}"},
    )
    assert first.status_code == 200
    rest = f"{half}-{len(content) - 1}/{len(content)}"
    headers = {"X-Unique-Upload-Id": "f", "Content-Range": f"bytes {rest}"}
    refused = client.upload(params, content[half:], headers=headers)
    assert refused.json()["error"]["message"].startswith("Image file format png not allowed")
    with pytest.raises(BadRequest, match="not allowed"):
        uploader.upload_large(io.BytesIO(content), chunk_size=100, upload_preset="jpg_only",
                              resource_type="image")  # fmt: skip
    assert sdk.assets("demo") == []
