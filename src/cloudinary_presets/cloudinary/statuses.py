"""What a response or a failed request means, as an error a person can act on.

Cloudinary's status-to-exception table (its 420 included), the ``{"error": {"message"}}``
body, hints for non-JSON and HTML answers (a proxy or a login page, not Cloudinary), and
plain-words descriptions of network failures. A 404 or 409 without Cloudinary's JSON body
is not trusted to mean "absent" or "exists": a misconfigured proxy says that too.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Mapping
from typing import Any

import requests
import urllib3.exceptions

from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.deadline import DeadlineExceeded
from cloudinary_presets.cloudinary.retry import causes, is_tls_failure, parse_http_date
from cloudinary_presets.cloudinary.secrets import redact
from cloudinary_presets.errors import (
    AlreadyExists,
    ApiError,
    AuthenticationError,
    BadRequest,
    BadResponse,
    NetworkError,
    NotAllowed,
    NotFound,
    RateLimited,
    ServerError,
)

#: Longest excerpt of a body quoted in an error message.
SNIPPET_CHARS = 120

_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: NotAllowed,
    404: NotFound,
    409: AlreadyExists,
    420: RateLimited,
    429: RateLimited,
}
#: Error statuses whose meaning is safe to act on even without Cloudinary's JSON body.
#: A 404 or 409 from a misconfigured proxy must not read as "preset absent/exists".
_TRUSTED_WITHOUT_BODY = frozenset({401, 403, 420, 429})

_HTML_HINT = (
    "an HTML page instead of JSON usually means an authentication problem or a proxy in "
    "the way; check the credentials and upload_prefix"
)

_DEFAULT_HINTS = {
    401: "check the API key and secret for cloud '{cloud}' ({source})",
    403: "the API key may lack the permission for this operation",
}

_NOT_JSON = object()

#: ``error_hint(status, message, headers)``: a caller's extra hint for an error response.
ErrorHint = Callable[[int, str, Mapping[str, str]], str]


# --------------------------------------------------------------------------- responses


def interpret_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    path: str,
    credentials: Credentials,
    error_hint: ErrorHint | None,
) -> dict[str, Any]:
    """The JSON object of a 2xx response; for anything else, raise the error it means."""
    request_id = headers.get("X-Request-Id")
    where: dict[str, Any] = {"method": method, "path": path, "request_id": request_id}
    if 300 <= status < 400:
        location = redact(headers.get("Location") or "(no Location header)")
        raise BadResponse(
            f"unexpected redirect to {location[:200]}; refusing", status=status, **where
        )
    document = _decode_json(body)
    if status >= 400 or status < 200:
        message = _error_message(document)
        hint = ""
        if message is not None:
            message = redact(message)  # servers echo what they got (e.g. a signature)
        else:
            message = _non_json(status, headers, body)
            if "html" in _content_type(headers):
                hint = _HTML_HINT
            if not (status in _TRUSTED_WITHOUT_BODY or status >= 500):
                raise BadResponse(message, status=status, hint=hint, **where)
        extra = error_hint(status, message, headers) if error_hint is not None else ""
        if not extra and status in _DEFAULT_HINTS:
            extra = _DEFAULT_HINTS[status].format(
                cloud=credentials.cloud_name, source=credentials.source
            )
        hint = f"{hint}; {extra}" if hint and extra else hint or extra
        cls = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else ApiError)
        if cls is RateLimited:
            reset_at = parse_http_date(headers.get("X-FeatureRateLimit-Reset"))
            raise RateLimited(message, reset_at=reset_at, status=status, hint=hint, **where)
        raise cls(message, status=status, hint=hint, **where)
    if document is _NOT_JSON or not isinstance(document, dict):
        shape = "non-JSON" if document is _NOT_JSON else f"JSON {type(document).__name__}"
        message = (
            _non_json(status, headers, body)
            if document is _NOT_JSON
            else f"unexpected {shape} response (HTTP {status}); expected a JSON object"
        )
        hint = _HTML_HINT if "html" in _content_type(headers) else ""
        raise BadResponse(message, status=status, hint=hint, **where)
    embedded = _error_message(document)
    if embedded is not None:
        raise BadResponse(
            f"HTTP {status} response carries an error: {redact(embedded)}",
            status=status,
            **where,
        )
    return document


def _decode_json(body: bytes) -> object:
    try:
        return jsonlib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


def _error_message(document: object) -> str | None:
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return None


def _snippet(body: bytes) -> str:
    """The start of a body, escaped to one line; secrets are masked before it is cut, so
    a secret that straddles the cut cannot show its first characters."""
    text = redact(body[: SNIPPET_CHARS * 4].decode("utf-8", errors="replace"))
    escaped = redact(text.encode("unicode_escape").decode("ascii"))
    cut = len(escaped) > SNIPPET_CHARS or len(body) > SNIPPET_CHARS * 4
    return escaped[:SNIPPET_CHARS] + ("..." if cut else "")


def _content_type(headers: Mapping[str, str]) -> str:
    return (headers.get("Content-Type") or "no content type").split(";")[0].strip()


def _non_json(status: int, headers: Mapping[str, str], body: bytes) -> str:
    detail = f"HTTP {status}, {_content_type(headers)}, {len(body)} bytes"
    excerpt = f": {_snippet(body)!s}" if body else ""
    return f"unexpected non-JSON response ({detail}){excerpt}"


# --------------------------------------------------------------------------- failures


def network_error(
    exc: BaseException, method: str, path: str, host: str, timeout: tuple[float, float]
) -> NetworkError:
    """The request never got an HTTP answer: say why in plain words. ``timeout`` is
    (connect, total) in seconds."""
    message = _describe_failure(exc, host, timeout)
    hint = ""
    if is_tls_failure(exc):
        hint = (
            "if a corporate proxy re-signs TLS, point REQUESTS_CA_BUNDLE at its CA "
            "bundle; never disable verification"
        )
    return NetworkError(message, method=method, path=path, hint=hint)


def _describe_failure(exc: BaseException, host: str, timeout: tuple[float, float]) -> str:
    chain = list(causes(exc))
    if is_tls_failure(exc):
        reason = next(
            (str(c) for c in chain if type(c).__name__ == "SSLCertVerificationError"),
            "certificate verification failed",
        )
        return f"TLS verification failed for {host}: {redact(reason)[:200]}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"cannot reach {host}: connection timed out after {timeout[0]:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout) or any(
        isinstance(c, (urllib3.exceptions.ReadTimeoutError, TimeoutError)) for c in chain
    ):
        seconds = exc.seconds if isinstance(exc, DeadlineExceeded) else timeout[1]
        why = "the request time limit, --timeout"
        if isinstance(exc, DeadlineExceeded) and exc.clipped:
            why = "what was left of the retry budget"
        return f"no complete response from {host} within {_seconds(seconds)} s ({why})"
    if any(isinstance(c, urllib3.exceptions.NameResolutionError) for c in chain):
        return f"cannot resolve host name {host}"
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return f"cannot reach {host}: connection refused"
    if any(isinstance(c, urllib3.exceptions.IncompleteRead) for c in chain) or any(
        "IncompleteRead" in type(c).__name__ for c in chain
    ):
        return f"response from {host} was truncated (connection closed mid-body)"
    if any(isinstance(c, ConnectionResetError) for c in chain):
        where = "mid-body" if isinstance(exc, requests.exceptions.ChunkedEncodingError) else ""
        return f"connection reset by {host}{' ' + where if where else ''}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"connection to {host} broke while reading the response"
    if any(type(c).__name__ == "RemoteDisconnected" for c in chain):
        return f"{host} closed the connection without a response"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return f"response from {host} could not be decoded"
    return f"request to {host} failed: {redact(str(exc))[:200]}"


def _seconds(value: float) -> str:
    """``30``, ``0.3``, ``0.05``: a duration as people write it."""
    return f"{value:.2g}" if value < 1 else f"{round(value, 1):g}"


def with_hint(error: ApiError, extra: str) -> ApiError:
    """A copy of ``error`` with ``extra`` appended to its hint (same class and details)."""
    hint = f"{error.hint}; {extra}" if error.hint else extra
    kwargs: dict[str, Any] = {
        "status": error.status,
        "request_id": error.request_id,
        "method": error.method,
        "path": error.path,
        "hint": hint,
    }
    if isinstance(error, RateLimited):
        return RateLimited(error.cloudinary_message, reset_at=error.reset_at, **kwargs)
    clone = type(error)(error.cloudinary_message, **kwargs)
    clone.__cause__ = error.__cause__
    return clone
