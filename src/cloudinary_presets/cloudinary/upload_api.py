"""Request signing and the Upload API (``POST /<resource_type>/upload``).

The signature must match the SDK byte for byte (``cloudinary.utils.sign_request``:
``cleanup_params`` then ``api_sign_request`` with signature version 2), or Cloudinary
answers "Invalid Signature". The timestamp is taken at request time, never earlier:
signatures expire after an hour.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import IO, Any

from cloudinary_presets.cloudinary.credentials import Credentials, SignatureAlgorithm
from cloudinary_presets.cloudinary.retry import parse_http_date
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import UsageError

RESOURCE_TYPES = frozenset({"image", "video", "raw", "auto"})
#: Set by this module, so a caller may not pass them.
RESERVED_PARAMS = frozenset({"file", "api_key", "signature", "timestamp", "resource_type"})
#: The SDK's test for a ``file`` given as a remote reference rather than content.
REMOTE_FILE = re.compile(
    r"ftp:|https?:|s3:|gs:|data:([\w-]+/[\w-]+(\+[\w-]+)?)?(;[\w-]+=[\w-]+)*;base64,([a-zA-Z0-9/+\n=]+)$"
)

_HASHES: dict[str, Callable[[bytes], Any]] = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}

FileInput = bytes | str | IO[bytes]


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


def _form_fields(params: Mapping[str, object]) -> list[tuple[str, tuple[None, str]]]:
    """Multipart fields as the SDK sends them: lists as repeated ``key[]``; falsy dropped."""
    fields: list[tuple[str, tuple[None, str]]] = []
    for key, value in params.items():
        if isinstance(value, (dict, tuple, set)):
            raise UsageError(
                f"upload parameter {key!r} must be a string, number, boolean or list "
                f"(encode structured values first, e.g. context as 'k=v|k2=v2')"
            )
        if isinstance(value, list):
            fields.extend((f"{key}[]", (None, str(item))) for item in value)
        elif value:
            fields.append((key, (None, str(value))))
    return fields


def _file_field(file: FileInput, filename: str | None) -> tuple[str, tuple[Any, ...]]:
    if isinstance(file, str):
        if not REMOTE_FILE.match(file):
            raise UsageError(
                "a str file must be a remote URL (http(s), ftp, s3, gs) or a base64 data URI; "
                "open local files and pass the file object"
            )
        return ("file", (None, file))
    if isinstance(file, (bytes, bytearray)):
        return ("file", (filename or "file", bytes(file), "application/octet-stream"))
    name = filename or str(getattr(file, "name", "") or "file").replace("\\", "/").rsplit("/")[-1]
    return ("file", (name, file, "application/octet-stream"))


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
    ) -> dict[str, Any]:
        """Upload ``file`` (bytes, an open binary file, or a remote URL / data URI).

        ``params`` are wire-level values (strings, numbers, booleans, lists). A signed
        upload adds ``timestamp`` (now), ``signature`` and ``api_key``; an unsigned one
        sends only the params, which must name an ``upload_preset``.
        """
        if resource_type not in RESOURCE_TYPES:
            raise UsageError(
                f"resource_type must be one of {', '.join(sorted(RESOURCE_TYPES))}, "
                f"got {resource_type!r}"
            )
        reserved = sorted(RESERVED_PARAMS & set(params))
        if reserved:
            raise UsageError(f"upload params may not set {', '.join(reserved)}")
        cleaned = cleanup_params(params)
        creds = self.credentials
        if signed:
            if creds.api_secret is None or not creds.api_secret:
                raise UsageError(
                    f"a signed upload needs an API secret; the credentials from "
                    f"{creds.source} have none",
                    hint="use an unsigned preset with signed=False, or give the full "
                    "cloudinary://KEY:SECRET@CLOUD",
                )
            cleaned["timestamp"] = str(int(self._clock()))
            cleaned["signature"] = sign(cleaned, creds.api_secret, creds.signature_algorithm)
            cleaned["api_key"] = creds.api_key
        elif not cleaned.get("upload_preset"):
            raise UsageError("an unsigned upload needs an upload_preset")
        fields: list[tuple[str, tuple[Any, ...]]] = list(_form_fields(cleaned))
        fields.append(_file_field(file, filename))
        response = self.transport.request(
            "POST",
            f"/{resource_type}/upload",
            files=fields,
            auth=False,
            idempotent=False,
            error_hint=_stale_hint(self._clock),
        )
        return response.json
