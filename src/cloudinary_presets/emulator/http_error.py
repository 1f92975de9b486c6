"""One exception for "answer this request with an error status".

Why: the Admin and Upload handlers are plain functions that raise when a request is
wrong; the server turns the exception into Cloudinary's ``{"error": {"message": ...}}``
body, so every error in the emulator has the same shape and nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Mapping


class HttpError(Exception):
    """An error response: HTTP ``status``, Cloudinary-style ``message`` and extra headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> HttpError:
    return HttpError(400, message)
