"""The request and response values that pass between the server and the handlers.

Why: the Admin, Upload and control handlers are plain functions from a ``Request`` to a
``Response``; they never touch sockets, so faults (which do) stay in the server and the
handlers can be read, and reasoned about, as the API's behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudinary_presets.emulator.http_error import HttpError

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One HTTP request; header names are lowercase, ``path`` is raw (not URL-decoded)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    client_host: str = "127.0.0.1"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    status: int, payload: object, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def error_response(error: HttpError, headers: Mapping[str, str] | None = None) -> Response:
    """Cloudinary's error body: ``{"error": {"message": ...}}``."""
    merged = {**error.headers, **(headers or {})}
    return json_response(error.status, {"error": {"message": error.message}}, merged)
