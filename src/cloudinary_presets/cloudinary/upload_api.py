"""Request signing and the Upload API (``POST /<resource_type>/upload``).

The signature must match the SDK byte for byte (``cloudinary.utils.sign_request``:
``cleanup_params`` then ``api_sign_request`` with signature version 2), or Cloudinary
answers "Invalid Signature". The timestamp is taken at request time, never earlier:
signatures expire after an hour.

Files are streamed from disk (:mod:`~cloudinary_presets.cloudinary.upload_body`). A file
larger than ``chunk_size`` (20 MB, the SDK's default) goes as the SDK's ``upload_large``
sends it: chunks of ``chunk_size`` bytes, each a complete signed upload request (a fresh
timestamp and signature per chunk) with the same ``X-Unique-Upload-Id`` and its own
``Content-Range: bytes START-END/TOTAL``; the public id the server assigns comes back
on the later chunks, and the last chunk's response describes the asset. A chunk is
retried after a network failure or a 5xx (the server keeps identical chunks once).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import stat
import string
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any

from cloudinary_presets.cloudinary.credentials import Credentials, SignatureAlgorithm
from cloudinary_presets.cloudinary.retry import parse_http_date
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.statuses import with_hint
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.cloudinary.upload_body import (
    BytesContent,
    FileContent,
    MultipartBody,
    SeekableContent,
    UploadContent,
)
from cloudinary_presets.errors import ApiError, UploadSourceError, UsageError

RESOURCE_TYPES = frozenset({"image", "video", "raw", "auto"})
#: Set by this module, so a caller may not pass them.
RESERVED_PARAMS = frozenset({"file", "api_key", "signature", "timestamp", "resource_type"})
#: The SDK's test for a ``file`` given as a remote reference rather than content.
REMOTE_FILE = re.compile(
    r"ftp:|https?:|s3:|gs:|data:([\w-]+/[\w-]+(\+[\w-]+)?)?(;[\w-]+=[\w-]+)*;base64,([a-zA-Z0-9/+\n=]+)$"
)

_HASHES: dict[str, Callable[[bytes], Any]] = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}

FileInput = bytes | str | IO[bytes] | UploadContent
#: Files larger than this go in chunks of this size (the SDK's ``UPLOAD_LARGE_CHUNK_SIZE``).
DEFAULT_CHUNK_SIZE = 20_000_000
#: The smallest chunk Cloudinary accepts (all chunks but the last).
MIN_CHUNK_SIZE = 5 * 1024 * 1024
_UPLOAD_ID_ALPHABET = string.ascii_lowercase + string.digits


def cleanup_params(params: Mapping[str, object]) -> dict[str, object]:
    """The SDK's ``cleanup_params``: drop ``None`` and ``""``; booleans become ``"1"``/``"0"``."""
    cleaned: dict[str, object] = {}
    for key, value in params.items():
        if value is None or (isinstance(value, str) and value == ""):
            continue
        cleaned[key] = ("1" if value else "0") if isinstance(value, bool) else value
    return cleaned


def _sign_value(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def string_to_sign(params: Mapping[str, object]) -> str:
    """``k=v`` pairs of the cleaned, truthy params, ``&`` in each escaped as ``%26``
    (signature version 2), sorted and joined with ``&``. Lists are comma-joined."""
    pairs = [
        f"{key}={_sign_value(value)}".replace("&", "%26")
        for key, value in cleanup_params(params).items()
        if value
    ]
    return "&".join(sorted(pairs))


def sign(params: Mapping[str, object], secret: Secret, algorithm: SignatureAlgorithm) -> str:
    """Hex digest of ``string_to_sign(params) + secret`` (no separator)."""
    if algorithm not in _HASHES:
        raise UsageError(f"unsupported signature algorithm {algorithm!r}")
    payload = (string_to_sign(params) + secret.reveal()).encode("utf-8")
    return str(_HASHES[algorithm](payload).hexdigest())


def _form_fields(params: Mapping[str, object]) -> list[tuple[str, str]]:
    """Multipart fields as the SDK sends them: lists as repeated ``key[]``; falsy dropped."""
    fields: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, (dict, tuple, set)):
            raise UsageError(
                f"upload parameter {key!r} must be a string, number, boolean or list "
                f"(encode structured values first, e.g. context as 'k=v|k2=v2')"
            )
        if isinstance(value, list):
            fields.extend((f"{key}[]", str(item)) for item in value)
        elif value:
            fields.append((key, str(value)))
    return fields


def _remote(file: str) -> str:
    if not REMOTE_FILE.match(file):
        raise UsageError(
            "a str file must be a remote URL (http(s), ftp, s3, gs) or a base64 data URI; "
            "open local files and pass the file object"
        )
    return file


def as_content(file: bytes | IO[bytes] | UploadContent, filename: str | None) -> UploadContent:
    """Bytes or an open binary file as content to stream (a caller's file stays open)."""
    if isinstance(file, UploadContent):
        return file
    if isinstance(file, (bytes, bytearray)):
        return BytesContent(bytes(file), filename or "file")
    if not isinstance(file.read(0), bytes):
        raise UsageError("file objects must be opened in binary mode ('rb')")
    raw_name = getattr(file, "name", None)
    shown = raw_name if isinstance(raw_name, str) and raw_name else (filename or "file")
    name = filename or os.path.basename(shown.replace("\\", "/")) or "file"
    try:
        regular = stat.S_ISREG(os.fstat(file.fileno()).st_mode)
    except (OSError, AttributeError, io.UnsupportedOperation):
        regular = False
    if regular:
        content: UploadContent = FileContent(file, shown, owns=False)
    elif file.seekable():
        content = SeekableContent(file, name)
    else:  # a pipe or a socket: its size is unknown until it is read
        content = BytesContent(file.read(), name)
    content.name = name
    return content


def _stale_hint(clock: Callable[[], float]) -> Callable[[int, str, Mapping[str, str]], str]:
    def hint(status: int, message: str, headers: Mapping[str, str]) -> str:
        if "stale request" not in message.lower():
            if "invalid signature" in message.lower():
                return (
                    "check the API secret and signature_algorithm; the string to sign "
                    "Cloudinary quotes holds no secret"
                )
            return ""
        local = datetime.fromtimestamp(clock(), tz=timezone.utc)
        server = parse_http_date(headers.get("Date"))
        if server is None:
            return (
                f"signed requests expire after 1 hour; check this machine's clock "
                f"(local time {local:%Y-%m-%d %H:%M:%S} UTC)"
            )
        skew = (local - server).total_seconds()
        direction = "ahead of" if skew > 0 else "behind"
        return (
            f"this machine's clock is {abs(skew):.0f} s {direction} the server's "
            f"(local {local:%Y-%m-%d %H:%M:%S} UTC, server Date {server:%Y-%m-%d %H:%M:%S} "
            "UTC); signed requests expire after 1 hour: sync the clock (NTP)"
        )

    return hint


class UploadApi:
    """Uploads through one transport; uploads are POSTs and never retried blindly."""

    def __init__(self, transport: Transport, *, clock: Callable[[], float] = time.time) -> None:
        self.transport = transport
        self._clock = clock

    @property
    def credentials(self) -> Credentials:
        return self.transport.credentials

    def upload(
        self,
        file: FileInput,
        params: Mapping[str, object],
        *,
        resource_type: str = "image",
        signed: bool,
        filename: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        stop: threading.Event | None = None,
    ) -> dict[str, Any]:
        """Upload ``file`` (bytes, an open binary file, content, or a remote URL / data URI).

        ``params`` are wire-level values (strings, numbers, booleans, lists). A signed
        upload adds ``timestamp`` (now), ``signature`` and ``api_key``; an unsigned one
        sends only the params, which must name an ``upload_preset``. Content larger than
        ``chunk_size`` bytes is uploaded in chunks of that size; once ``stop`` is set, no
        further chunk is sent.
        """
        if resource_type not in RESOURCE_TYPES:
            raise UsageError(
                f"resource_type must be one of {', '.join(sorted(RESOURCE_TYPES))}, "
                f"got {resource_type!r}"
            )
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
            raise UsageError(f"chunk_size must be a number of bytes, not {chunk_size!r}")
        if chunk_size < MIN_CHUNK_SIZE:
            raise UsageError(
                f"chunk_size {chunk_size} is too small: Cloudinary needs chunks of at least "
                f"{MIN_CHUNK_SIZE} bytes (5 MiB)"
            )
        reserved = sorted(RESERVED_PARAMS & set(params))
        if reserved:
            raise UsageError(f"upload params may not set {', '.join(reserved)}")
        cleaned = cleanup_params(params)
        self._check_mode(cleaned, signed)
        path = f"/{resource_type}/upload"
        if isinstance(file, str):
            body = MultipartBody([*self._fields(cleaned, signed), ("file", _remote(file))], None)
            return self._post(path, body, {}, idempotent=False)
        content = as_content(file, filename)
        name = filename or content.name
        if content.size > chunk_size:
            chunks = _Chunks(content, name, chunk_size, stop or threading.Event())
            return self._upload_chunks(path, cleaned, signed, chunks)
        body = MultipartBody(self._fields(cleaned, signed), content, filename=name)
        result = self._post(path, body, {}, idempotent=False)
        content.check_unchanged()
        return result

    def _check_mode(self, cleaned: Mapping[str, object], signed: bool) -> None:
        creds = self.credentials
        if signed:
            if creds.api_secret is None or not creds.api_secret:
                raise UsageError(
                    f"a signed upload needs an API secret; the credentials from "
                    f"{creds.source} have none",
                    hint="use an unsigned preset with signed=False, or give the full "
                    "cloudinary://KEY:SECRET@CLOUD",
                )
        elif not cleaned.get("upload_preset"):
            raise UsageError("an unsigned upload needs an upload_preset")

    def _fields(self, cleaned: Mapping[str, object], signed: bool) -> list[tuple[str, str]]:
        """The form fields of one request, signed now (each chunk is signed afresh)."""
        fields = dict(cleaned)
        if signed:
            creds = self.credentials
            assert creds.api_secret is not None
            fields["timestamp"] = str(int(self._clock()))
            fields["signature"] = sign(fields, creds.api_secret, creds.signature_algorithm)
            fields["api_key"] = creds.api_key
        return _form_fields(fields)

    def _post(
        self, path: str, body: MultipartBody, headers: Mapping[str, str], *, idempotent: bool
    ) -> dict[str, Any]:
        response = self.transport.request(
            "POST",
            path,
            body=body,
            headers=headers,
            auth=False,
            idempotent=idempotent,
            error_hint=_stale_hint(self._clock),
        )
        return response.json

    def _upload_chunks(
        self, path: str, cleaned: dict[str, object], signed: bool, chunks: _Chunks
    ) -> dict[str, Any]:
        """``upload_large``: one signed request per chunk; the last answer is the result."""
        upload_id = "".join(secrets.choice(_UPLOAD_ID_ALPHABET) for _ in range(16))
        content = chunks.content
        params = dict(cleaned)
        result: dict[str, Any] = {}
        for index, start, count in chunks:
            span = f"bytes {start}-{start + count - 1}/{content.size}"
            where = f"chunk {index} of {chunks.count} ({span}) of {content.shown}"
            if chunks.stop.is_set():
                raise UploadSourceError(f"interrupted before {where}: the upload is incomplete")
            content.check_unchanged()
            body = MultipartBody(
                self._fields(params, signed), content, filename=chunks.name, offset=start,
                count=count,
            )  # fmt: skip
            headers = {"X-Unique-Upload-Id": upload_id, "Content-Range": span}
            try:
                result = self._post(path, body, headers, idempotent=True)
            except ApiError as error:
                raise with_hint(
                    error, f"{where} failed; the upload is incomplete: upload the file again"
                ) from error
            if result.get("public_id"):  # as upload_large: the id the first chunk got
                params["public_id"] = result["public_id"]
        content.check_unchanged()
        return result


@dataclass(frozen=True)
class _Chunks:
    """The byte ranges of a chunked upload: ``(number, offset, length)``."""

    content: UploadContent
    name: str
    size: int
    stop: threading.Event

    @property
    def count(self) -> int:
        return -(-self.content.size // self.size)

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        for index, start in enumerate(range(0, self.content.size, self.size), 1):
            yield index, start, min(self.size, self.content.size - start)
