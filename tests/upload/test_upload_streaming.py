"""Uploads stream from disk, and large files go in chunks as the SDK's ``upload_large``.

The body of an upload is read from the file in blocks while it is sent (never the whole
file at once); a file larger than the chunk size is uploaded as Cloudinary's chunked
upload, each chunk signed like the SDK signs it, a failed chunk retried, the last
chunk's answer the result; a file that changes, shrinks, is replaced or disappears
during the upload is an error naming it. Memory itself is measured by the benchmark
(``benchmarks/bench_upload.py``: peak RSS of a 1 GB upload), not here.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any

import cloudinary.uploader
import cloudinary.utils
import pytest
import requests
from upload_helpers import configure_sdk, png, upload_requests

from cloudinary_presets.cloudinary import transport as transport_module
from cloudinary_presets.cloudinary import upload_body
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.cloudinary.upload_body import (
    READ_BLOCK,
    BytesContent,
    FileContent,
    MultipartBody,
)
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.errors import FileError, ServerError, UploadSourceError, UsageError
from wire_forms import form_fields

MiB = 1024 * 1024
CHUNK = 5 * MiB
SIZE = 11 * MiB  # three chunks: 5 MiB, 5 MiB, 1 MiB


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """An 11 MiB PNG (a real header, then padding the decoders ignore)."""
    head = png("big", width=40, height=30)
    path = tmp_path / "big.png"
    path.write_bytes(head + os.urandom(SIZE - len(head)))
    return path


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every upload request as sent: its headers and its form fields (read back from the
    streamed body), and what the server answered."""
    seen: list[dict[str, Any]] = []
    original = Transport.request

    def spy(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        if not path.endswith("/upload"):
            return original(self, method, path, **kwargs)
        entry: dict[str, Any] = {
            "headers": dict(kwargs.get("headers") or {}),
            "fields": dict(form_fields(kwargs["body"])),
            "length": kwargs["body"].length,
        }
        seen.append(entry)
        response = original(self, method, path, **kwargs)
        entry["answer"] = response.json
        return response

    monkeypatch.setattr(Transport, "request", spy)
    return seen


@pytest.fixture
def retrying(
    monkeypatch: pytest.MonkeyPatch, applied: Emulator, make_uploader: Any, cloudinary_url: str
) -> Any:
    """An uploader whose transport retries as in production, backing off for milliseconds."""
    quick = functools.partial(RetryPolicy, base_delay=0.005, max_delay=0.01)
    monkeypatch.setattr(transport_module, "RetryPolicy", quick)
    return make_uploader(cloudinary_url)


# --------------------------------------------------------------------------- the body


def test_the_streamed_body_is_byte_for_byte_what_requests_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same fields and file through requests' own multipart encoder (which needs the
    whole file in memory) give the very same bytes: only the way they are produced differs."""
    monkeypatch.setattr(upload_body, "choose_boundary", lambda: "b0undary")
    monkeypatch.setattr("urllib3.filepost.choose_boundary", lambda: "b0undary")
    data = os.urandom(3 * READ_BLOCK + 17)
    fields = [("upload_preset", "p"), ("tags[]", "a"), ("tags[]", "ü & b"), ("timestamp", "1")]
    body = MultipartBody(fields, BytesContent(data), filename='na"me é.png')
    expected, content_type = requests.models.RequestEncodingMixin._encode_files(
        [*[(k, (None, v)) for k, v in fields],
         ("file", ('na"me é.png', data, "application/octet-stream"))],
        None,
    )  # fmt: skip
    assert body.content_type == content_type
    streamed = body.open()
    assert len(streamed) == body.length == len(expected)
    assert b"".join(iter(streamed)) == expected
    assert body.open().read() == expected  # a fresh reader per attempt


class Recording(BytesContent):
    """Content that records each read (offset, size)."""

    def __init__(self, size: int) -> None:
        super().__init__(b"\x00" * size, "zeros.bin")
        self.reads: list[tuple[int, int]] = []

    def read_at(self, offset: int, count: int) -> bytes:
        self.reads.append((offset, count))
        return super().read_at(offset, count)


def test_the_file_is_read_in_blocks_as_the_body_is_sent() -> None:
    """What bounds memory: a 4 MiB part is read 256 KiB at a time, each byte once, in order."""
    content = Recording(4 * MiB + 5)
    body = MultipartBody([("k", "v")], content, filename="zeros.bin")
    reader = body.open()
    while reader.read(64 * 1024):
        pass
    assert max(count for _, count in content.reads) == READ_BLOCK
    assert [offset for offset, _ in content.reads] == list(range(0, 4 * MiB + 5, READ_BLOCK))
    assert sum(count for _, count in content.reads) == 4 * MiB + 5


def test_a_chunk_body_covers_exactly_its_range(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = os.urandom(1000)
    path.write_bytes(data)
    with FileContent(path.open("rb"), str(path), str(path)) as content:
        body = MultipartBody([], content, filename="f.bin", offset=100, count=250)
        sent = body.open().read()
    assert data[100:350] in sent
    assert data[99:101] not in sent
    assert data[349:351] not in sent
    assert len(sent) == body.length


# --------------------------------------------------------------------------- chunked uploads


def test_a_large_file_goes_in_signed_chunks(
    applied: Emulator, uploader: Any, big: Path, wire: list[dict[str, Any]]
) -> None:
    result = uploader.upload(big, preset="product-images", chunk_size=CHUNK)
    data = big.read_bytes()
    # three requests, one upload id, consecutive ranges with the total
    assert [w["headers"]["Content-Range"] for w in wire] == [
        f"bytes 0-{CHUNK - 1}/{SIZE}",
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{SIZE}",
        f"bytes {2 * CHUNK}-{SIZE - 1}/{SIZE}",
    ]
    ids = {w["headers"]["X-Unique-Upload-Id"] for w in wire}
    assert len(ids) == 1
    assert re.fullmatch(r"[a-z0-9]{16}", ids.pop())
    # every chunk is a complete signed request: the SDK's signer agrees with each signature
    secret = applied.clouds[0].api_secret
    for request in wire:
        fields = dict(request["fields"])
        signature = fields.pop("signature")
        assert fields.pop("api_key") == applied.clouds[0].api_key
        assert signature == cloudinary.utils.api_sign_request(fields, secret)
        assert fields["upload_preset"] == "product-images"
    # each body holds its chunk, not more: the fields plus at most 5 MiB
    assert all(w["length"] < CHUNK + 4096 for w in wire)
    # the intermediate answers are Cloudinary's non-final ones; the last is the result
    assert [w["answer"].get("done") for w in wire[:2]] == [False, False]
    assert result.raw == wire[-1]["answer"]
    assert (result.public_id, result.raw["bytes"], result.raw["format"]) == ("big", SIZE, "png")
    [asset] = applied.assets("demo")
    assert asset["sha256"] == hashlib.sha256(data).hexdigest()
    assert requests.get(result.secure_url, timeout=10).content == data
    assert upload_requests(applied) == 3


def test_the_chunks_are_the_requests_the_sdk_sends(
    applied: Emulator,
    uploader: Any,
    big: Path,
    wire: list[dict[str, Any]],
    project_dir: Path,
    remote_cli: Any,
    sdk_reset: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``upload_large`` against a second emulator: the same ranges, the same fields."""
    ours = uploader.upload(big, preset="product-images", chunk_size=CHUNK)
    second = Emulator(":memory:").start()
    try:
        there = remote_cli("apply", "--yes", env={"CLOUDINARY_URL": second.cloudinary_url("demo")})
        assert there.exit_code == 0, there.output
        configure_sdk(second)
        sent: list[tuple[dict[str, str], dict[str, str]]] = []
        http = cloudinary.uploader._http
        original = http.request

        def spy(*args: Any, **kwargs: Any) -> Any:
            fields = {k: str(v) for k, v in kwargs["fields"] if k != "file"}
            sent.append((fields, dict(kwargs["headers"])))
            return original(*args, **kwargs)

        monkeypatch.setattr(http, "request", spy)
        theirs = cloudinary.uploader.upload_large(
            str(big), upload_preset="product-images", chunk_size=CHUNK, resource_type="auto"
        )
    finally:
        second.stop()
    assert [w["headers"]["Content-Range"] for w in wire] == [h["Content-Range"] for _, h in sent]
    assert len({h["X-Unique-Upload-Id"] for _, h in sent}) == 1
    volatile = ("timestamp", "signature", "api_key")
    assert [{k: v for k, v in w["fields"].items() if k not in volatile} for w in wire] == [
        {k: v for k, v in f.items() if k not in volatile} for f, _ in sent
    ]
    assert ours.public_id == theirs["public_id"] == "big"
    assert ours.raw["bytes"] == theirs["bytes"] == SIZE


def test_a_failed_chunk_is_retried(
    applied: Emulator, retrying: Any, big: Path, wire: list[dict[str, Any]]
) -> None:
    upload = "/v1_1/demo/auto/upload"
    applied.set_faults([
        {"kind": "status", "status": 503, "method": "POST", "path": upload, "nth": [2]},
        {"kind": "reset", "method": "POST", "path": upload, "nth": [4]},
    ])  # fmt: skip
    result = retrying.upload(big, preset="product-images", chunk_size=CHUNK)
    assert len(wire) == 3  # three chunks asked of the transport ...
    assert upload_requests(applied) == 5  # ... five requests sent: chunks 2 and 3 twice
    assert applied.stats()["faults_injected"] == 2
    assert result.raw["bytes"] == SIZE
    [asset] = applied.assets("demo")
    assert asset["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()


def test_a_chunk_that_keeps_failing_names_the_chunk_and_the_file(
    applied: Emulator, retrying: Any, big: Path
) -> None:
    applied.set_faults([{"kind": "status", "status": 500, "method": "POST",
                         "path": "/v1_1/demo/auto/upload", "nth": [2, 3, 4, 5, 6]}])  # fmt: skip
    with pytest.raises(ServerError) as caught:
        retrying.upload(big, preset="product-images", chunk_size=CHUNK)
    message = str(caught.value)
    assert "HTTP 500" in message
    assert "gave up after 5 attempts" in message
    assert (
        f"chunk 2 of 3 (bytes {CHUNK}-{2 * CHUNK - 1}/{SIZE}) of {big} failed; the upload is "
        "incomplete: upload the file again"
    ) in message
    assert applied.assets("demo") == []


def test_small_files_and_bytes_go_in_one_request(
    applied: Emulator, uploader: Any, tmp_path: Path, wire: list[dict[str, Any]]
) -> None:
    path = tmp_path / "small.png"
    path.write_bytes(png("small"))
    uploader.upload(path, preset="product-images")
    uploader.upload(png("bytes"), preset="product-images", public_id="from-bytes")
    uploader.upload(io.BytesIO(png("object")), preset="product-images", public_id="from-io")
    assert [w["headers"] for w in wire] == [{}, {}, {}]
    assert len(applied.assets("demo")) == 3


def test_the_chunk_size_has_cloudinarys_minimum(
    uploader: Any, big: Path, applied: Emulator
) -> None:
    with pytest.raises(UsageError, match=r"chunks of at least 5242880 bytes \(5 MiB\)"):
        uploader.upload(big, preset="product-images", chunk_size=1024)
    assert upload_requests(applied) == 0


# --------------------------------------------------------------------------- changing files


def change_after_first_request(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    original = Transport.request
    calls: list[int] = []

    def spy(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        response = original(self, method, path, **kwargs)
        if path.endswith("/upload"):
            calls.append(1)
            if len(calls) == 1:
                change()
        return response

    monkeypatch.setattr(Transport, "request", spy)


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("append", "changed"),
        ("rewrite same size", "changed"),
        ("replace", "was replaced"),
        ("delete", "disappeared"),
    ],
)
def test_a_file_that_changes_between_chunks_stops_the_upload(
    how: str,
    said: str,
    applied: Emulator,
    uploader: Any,
    big: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def change() -> None:
        if how == "append":
            with big.open("ab") as handle:
                handle.write(b"more")
        elif how == "rewrite same size":
            with big.open("r+b") as handle:
                handle.write(b"X")
            stat = big.stat()
            os.utime(big, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        elif how == "replace":
            other = big.with_name("other.png")
            other.write_bytes(big.read_bytes())
            other.replace(big)
        else:
            big.unlink()

    change_after_first_request(monkeypatch, change)
    with pytest.raises(UploadSourceError) as caught:
        uploader.upload(big, preset="product-images", chunk_size=CHUNK)
    assert str(caught.value) == (
        f"{big} {said} while it was being uploaded: what Cloudinary received may mix old and "
        "new bytes\n  hint: upload it again once nothing writes to it"
    )
    assert upload_requests(applied) == 1  # stopped before the second chunk
    assert applied.assets("demo") == []


def test_a_small_file_changed_during_its_one_request_is_reported(
    applied: Emulator, uploader: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "small.png"
    path.write_bytes(png("small"))
    change_after_first_request(monkeypatch, lambda: path.write_bytes(png("changed!")))
    with pytest.raises(UploadSourceError, match=rf"^{re.escape(str(path))} changed while"):
        uploader.upload(path, preset="product-images")


def test_a_file_that_shrinks_while_a_chunk_is_read_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(3 * READ_BLOCK))
    with FileContent(path.open("rb"), str(path), str(path)) as content:
        reader = MultipartBody([], content, filename="f.bin").open()
        reader.read(READ_BLOCK)
        os.truncate(path, READ_BLOCK)  # behind the reader's back
        with pytest.raises(UploadSourceError, match=rf"^{re.escape(str(path))} shrank while"):
            reader.read(2 * READ_BLOCK)


def test_only_regular_files_are_opened(applied: Emulator, uploader: Any, tmp_path: Path) -> None:
    """Through the one file helper: refused before anything is opened for reading."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for a blocking read would wait for a writer forever
    for path, kind in ((fifo, "a FIFO (named pipe)"), (tmp_path, "a folder")):
        with pytest.raises(FileError) as caught:
            uploader.upload(path, preset="product-images")
        assert str(caught.value).startswith(f"cannot upload {path}: it is {kind}")
    assert upload_requests(applied) == 0


# --------------------------------------------------------------------------- the CLI


def test_presets_upload_chunk_size(
    applied: Emulator, remote_cli: Any, big: Path, wire: list[dict[str, Any]]
) -> None:
    result = remote_cli("upload", str(big), "--preset", "product-images", "--chunk-size", "5MiB")
    assert result.exit_code == 0, result.output
    assert len(wire) == 3
    assert f"{big} -> big" in result.stdout
    default = remote_cli("upload", str(big), "--preset", "product-images")  # 20 MB: one request
    assert default.exit_code == 0, default.output
    assert len(wire) == 4
    assert wire[-1]["headers"] == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1MB", "1MB is 1000000 bytes; Cloudinary needs chunks of at least 5242880 bytes"),
        ("lots", "'lots' is not a size such as 20MB, 8MiB or 20000000"),
        ("5 parsecs", "'5 parsecs' is not a size"),
    ],
)
def test_a_bad_chunk_size_is_a_usage_error(
    value: str, message: str, remote_cli: Any, big: Path
) -> None:
    result = remote_cli("upload", str(big), "--preset", "product-images", "--chunk-size", value)
    assert result.exit_code == 64
    assert message in result.stderr
