"""The one HTTP transport every Cloudinary API call goes through.

requests on its own waits forever, follows redirects (replaying a POST as a GET), reads
truncated bodies into ``ChunkedEncodingError`` outside urllib3's retry logic, does not know
Cloudinary's 420, and would sleep six hours on a large ``Retry-After``. This module pins
all of that down in one place: explicit timeouts, no redirects, bounded retries for
idempotent calls only, Cloudinary's status-to-exception table, rate-limit bookkeeping, and
logs that can never carry a credential.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import math
import platform
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.cookiejar import DefaultCookiePolicy
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from cloudinary_presets._version import __version__
from cloudinary_presets.cloudinary.credentials import Credentials, redact
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
    UsageError,
)

log = logging.getLogger("cloudinary_presets.cloudinary.transport")

USER_AGENT = (
    f"cloudinary-presets/{__version__} "
    f"(python-requests/{requests.__version__}; Python {platform.python_version()})"
)
#: Largest response body read into memory; a preset page of 500 is well under 5 MiB.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Longest excerpt of a body quoted in an error message.
SNIPPET_CHARS = 120
#: Query parameters whose values never appear in logs.
SENSITIVE_PARAMS = frozenset({"signature", "api_key", "api_secret"})

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
_RATE_LIMITED = frozenset({420, 429})
_PATH = re.compile(r"(?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+")


# --------------------------------------------------------------------------- log redaction


class RedactingFilter(logging.Filter):
    """Scrub secrets from a record's message, arguments, traceback and stack.

    A logger's filters only see records created on that very logger, not those that
    propagate from child loggers: attach it to handlers too (``install_redaction``).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: keep the raw template only
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(target: logging.Logger | logging.Handler) -> None:
    """Attach a :class:`RedactingFilter` to a logger or handler, once."""
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


install_redaction(logging.getLogger("cloudinary_presets"))
install_redaction(log)
# urllib3 logs every request line with its query string at DEBUG.
install_redaction(logging.getLogger("urllib3.connectionpool"))


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying idempotent calls; waits longer than ``max_wait`` are refused."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class Quota:
    """The Admin API hourly quota as last reported by ``X-FeatureRateLimit-*`` headers."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None
    observed: bool = False


@dataclass(frozen=True)
class CallCounts:
    """Admin API requests sent by one transport (every attempt counts against the quota)."""

    total: int = 0
    by_method: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiResponse:
    """A successful (2xx, JSON object) response."""

    status: int
    json: dict[str, Any]
    headers: Mapping[str, str]
    request_id: str | None
    elapsed: float
    attempts: int = 1
    #: True when an earlier attempt may have reached the server before failing.
    after_ambiguous_failure: bool = False


ErrorHint = Callable[[int, str, Mapping[str, str]], str]


@dataclass(frozen=True)
class _Raw:
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    elapsed: float


# --------------------------------------------------------------------------- parsing helpers


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (or epoch seconds) as an aware UTC datetime; ``None`` if unparseable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d{1,12}", value):
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait per ``Retry-After``; ``None`` for absent, negative or garbage values."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"\d{1,9}(?:\.\d+)?", value):
        return float(value)
    when = parse_http_date(value) if not re.fullmatch(r"[-+]?[\d.]+", value) else None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _parse_int(value: str | None) -> int | None:
    if value is None or not re.fullmatch(r"\s*\d{1,12}\s*", value):
        return None
    return int(value)


def _snippet(body: bytes) -> str:
    text = body[: SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    cut = len(text) > SNIPPET_CHARS or len(body) > SNIPPET_CHARS * 4
    escaped = text[:SNIPPET_CHARS].encode("unicode_escape").decode("ascii")
    return redact(escaped) + ("..." if cut else "")


def _content_type(headers: Mapping[str, str]) -> str:
    return (headers.get("Content-Type") or "no content type").split(";")[0].strip()


def _non_json(status: int, headers: Mapping[str, str], body: bytes) -> str:
    detail = f"HTTP {status}, {_content_type(headers)}, {len(body)} bytes"
    excerpt = f": {_snippet(body)!s}" if body else ""
    return f"unexpected non-JSON response ({detail}){excerpt}"


_HTML_HINT = (
    "an HTML page instead of JSON usually means an authentication problem or a proxy in "
    "the way; check the credentials and upload_prefix"
)


def _decode_json(body: bytes) -> object:
    try:
        return jsonlib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


_NOT_JSON = object()

_DEFAULT_HINTS = {
    401: "check the API key and secret for cloud '{cloud}' ({source})",
    403: "the API key may lack the permission for this operation",
}


def _error_message(document: object) -> str | None:
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Walk an exception's chain (``args``, urllib3 ``reason``, ``__cause__``)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack and len(seen) < 32:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        for link in (current.__cause__, current.__context__):
            if link is not None:
                nested.append(link)
        stack.extend(reversed(nested))


def _is_tls_failure(exc: BaseException) -> bool:
    return any(
        isinstance(c, (requests.exceptions.SSLError, urllib3.exceptions.SSLError))
        or type(c).__name__ in ("SSLError", "SSLCertVerificationError")
        for c in _causes(exc)
    )


def _never_sent(exc: BaseException) -> bool:
    """True when the request certainly did not reach the server (nothing to reconcile)."""
    return isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(c, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError))
        for c in _causes(exc)
    )


def _describe_failure(exc: BaseException, host: str, timeout: tuple[float, float]) -> str:
    causes = list(_causes(exc))
    if _is_tls_failure(exc):
        reason = next(
            (str(c) for c in causes if type(c).__name__ == "SSLCertVerificationError"),
            "certificate verification failed",
        )
        return f"TLS verification failed for {host}: {redact(reason)[:200]}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"cannot reach {host}: connection timed out after {timeout[0]:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout) or any(
        isinstance(c, (urllib3.exceptions.ReadTimeoutError, TimeoutError)) for c in causes
    ):
        return f"no response from {host} within {timeout[1]:g} s (read timeout)"
    if any(isinstance(c, urllib3.exceptions.NameResolutionError) for c in causes):
        return f"cannot resolve host name {host}"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"cannot reach {host}: connection refused"
    if any(isinstance(c, urllib3.exceptions.IncompleteRead) for c in causes) or any(
        "IncompleteRead" in type(c).__name__ for c in causes
    ):
        return f"response from {host} was truncated (connection closed mid-body)"
    if any(isinstance(c, ConnectionResetError) for c in causes):
        where = "mid-body" if isinstance(exc, requests.exceptions.ChunkedEncodingError) else ""
        return f"connection reset by {host}{' ' + where if where else ''}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"connection to {host} broke while reading the response"
    if any(type(c).__name__ == "RemoteDisconnected" for c in causes):
        return f"{host} closed the connection without a response"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return f"response from {host} could not be decoded"
    return f"request to {host} failed: {redact(str(exc))[:200]}"


def _retryable_network(exc: BaseException) -> bool:
    if _is_tls_failure(exc):
        return False
    return isinstance(
        exc,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            urllib3.exceptions.ProtocolError,
        ),
    )


def _retryable_status(status: int) -> bool:
    return status in _RATE_LIMITED or (status >= 500 and status != 501)


def _shown_path(path: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return path
    pairs = [
        (k, "***" if k in SENSITIVE_PARAMS else v)
        for k, value in params.items()
        for v in (value if isinstance(value, (list, tuple)) else [value])
    ]
    return f"{path}?{urlencode(pairs, safe='*')}"


def _with_hint(error: ApiError, extra: str) -> ApiError:
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


# --------------------------------------------------------------------------- transport


class Transport:
    """Sends requests to ``<api_host>/v1_1/<cloud><path>`` and returns parsed JSON objects.

    Thread-safe: parallel applies share one transport (its session keeps no cookies, and
    the quota and call counters are guarded by a lock).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._max_body = max_body_bytes
        self._owns_session = session is None
        self._session = session or self._new_session()
        self._lock = threading.Lock()
        self._quota = Quota()
        self._calls: dict[str, int] = {}
        self._host = urlsplit(credentials.api_host).netloc
        # Requests to a local emulator must not go through an HTTP(S)_PROXY.
        self._proxies: Any = {"http": None, "https": None} if credentials.is_loopback else None

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- observation ------------------------------------------------------------------

    @property
    def quota(self) -> Quota:
        with self._lock:
            return self._quota

    @property
    def calls(self) -> CallCounts:
        with self._lock:
            return CallCounts(sum(self._calls.values()), MappingProxyType(dict(self._calls)))

    def _count(self, method: str) -> None:
        with self._lock:
            self._calls[method] = self._calls.get(method, 0) + 1

    def _observe(self, headers: Mapping[str, str]) -> None:
        limit = _parse_int(headers.get("X-FeatureRateLimit-Limit"))
        remaining = _parse_int(headers.get("X-FeatureRateLimit-Remaining"))
        reset_at = parse_http_date(headers.get("X-FeatureRateLimit-Reset"))
        if limit is None and remaining is None and reset_at is None:
            return
        with self._lock:
            old = self._quota
            if (
                remaining is not None
                and old.remaining is not None
                and reset_at is not None
                and reset_at == old.reset_at
            ):
                # Parallel responses arrive out of order; within one window, the lowest wins.
                remaining = min(remaining, old.remaining)
            self._quota = Quota(
                limit=limit if limit is not None else old.limit,
                remaining=remaining if remaining is not None else old.remaining,
                reset_at=reset_at or old.reset_at,
                observed=True,
            )

    # -- requests ---------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        """The absolute URL of an API path such as ``/upload_presets/my%20preset``."""
        if not _PATH.fullmatch(path) or any(s in (".", "..") for s in path.split("/")[1:]):
            raise UsageError(f"invalid API path {path!r}")
        return f"{self.credentials.api_host}/v1_1/{self.credentials.cloud_name}{path}"

    def backoff(self, attempt: int) -> None:
        """Sleep the policy's jittered backoff after failed attempt ``attempt`` (for callers
        that retry at a higher level, such as create reconciliation)."""
        self._sleep(self.retry.backoff(attempt, self._rng))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        auth: bool = True,
        idempotent: bool,
        success_on_retry: Collection[int] = (),
        error_hint: ErrorHint | None = None,
    ) -> ApiResponse:
        """Send one API call; retry it only if ``idempotent``; return its JSON object.

        A call that is not idempotent is retried only after a 420/429: the rate limiter
        refused it before it was processed, so sending it again cannot do it twice.

        ``success_on_retry`` lists error statuses that mean success when an earlier attempt
        may have reached the server (a DELETE answered 404 after a lost response). They are
        returned as an :class:`ApiResponse` with ``after_ambiguous_failure`` set.
        ``error_hint(status, message, headers)`` may add a hint to an error.
        """
        method = method.upper()
        url = self.url_for(path)
        url_path = urlsplit(url).path
        basic = self.credentials.basic_auth() if auth else None
        attempts = max(1, self.retry.max_attempts)
        shown = _shown_path(url_path, params)
        ambiguous = False
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            if auth:
                self._count(method)
            started = time.monotonic()
            try:
                raw = self._send(method, url, params, json, data, files, basic, started)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                error: ApiError = self._network_error(exc, method, url_path)
                elapsed_ms = (time.monotonic() - started) * 1000
                log.debug(
                    "%s %s -> %s in %d ms (attempt %d/%d)",
                    method,
                    shown,
                    error.cloudinary_message,
                    elapsed_ms,
                    attempt,
                    attempts,
                )
                if last or not idempotent or not _retryable_network(exc):
                    if attempt > 1:
                        error = _with_hint(error, f"gave up after {attempt} attempts")
                    raise error from exc
                ambiguous = ambiguous or not _never_sent(exc)
                self._pause(method, shown, attempt, self.retry.backoff(attempt, self._rng))
                continue

            self._observe(raw.headers)
            quota = self.quota
            log.debug(
                "%s %s -> %d in %d ms (attempt %d/%d, quota %s/%s)",
                method,
                shown,
                raw.status,
                raw.elapsed * 1000,
                attempt,
                attempts,
                "?" if quota.remaining is None else quota.remaining,
                "?" if quota.limit is None else quota.limit,
            )
            try:
                return self._interpret(raw, method, url_path, attempt, ambiguous, error_hint)
            except ApiError as error:
                status = raw.status
                if ambiguous and status in success_on_retry:
                    return ApiResponse(
                        status=status,
                        json={},
                        headers=raw.headers,
                        request_id=raw.headers.get("X-Request-Id"),
                        elapsed=raw.elapsed,
                        attempts=attempt,
                        after_ambiguous_failure=True,
                    )
                refused = status in _RATE_LIMITED  # refused unprocessed: safe to resend
                if not _retryable_status(status) or not (idempotent or refused):
                    raise
                wait = self._required_wait(error, raw)
                if last:
                    raise _with_hint(error, f"gave up after {attempt} attempts") from None
                ambiguous = ambiguous or status not in _RATE_LIMITED
                delay = wait if wait is not None else self.retry.backoff(attempt, self._rng)
                self._pause(method, shown, attempt, delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, method: str, shown: str, attempt: int, delay: float) -> None:
        log.info("retrying %s %s in %.2f s (attempt %d failed)", method, shown, delay, attempt)
        self._sleep(delay)

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Any,
        files: Any,
        basic: tuple[str, str] | None,
        started: float,
    ) -> _Raw:
        response = self._session.request(
            method,
            url,
            params=params,
            json=json,
            data=data,
            files=files,
            auth=basic,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=self.timeout,
            allow_redirects=False,
            stream=True,
            proxies=self._proxies,
        )
        try:
            declared = _parse_int(response.headers.get("Content-Length"))
            if declared is not None and declared > self._max_body:
                raise BadResponse(
                    f"response body of {declared} bytes exceeds the {self._max_body} byte limit",
                    status=response.status_code,
                    method=method,
                    path=urlsplit(url).path,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self._max_body:
                    raise BadResponse(
                        f"response body exceeds the {self._max_body} byte limit",
                        status=response.status_code,
                        method=method,
                        path=urlsplit(url).path,
                    )
                chunks.append(chunk)
            body = b"".join(chunks)
        finally:
            response.close()
        return _Raw(
            status=response.status_code,
            headers=CaseInsensitiveDict(response.headers),
            body=body,
            elapsed=time.monotonic() - started,
        )

    def _network_error(self, exc: BaseException, method: str, path: str) -> NetworkError:
        message = _describe_failure(exc, self._host, self.timeout)
        hint = ""
        if _is_tls_failure(exc):
            hint = (
                "if a corporate proxy re-signs TLS, point REQUESTS_CA_BUNDLE at its CA "
                "bundle; never disable verification"
            )
        return NetworkError(message, method=method, path=path, hint=hint)

    def _required_wait(self, error: ApiError, raw: _Raw) -> float | None:
        """The server-imposed wait before a retry, or raise if it exceeds ``max_wait``."""
        now = self._clock()
        wait = parse_retry_after(raw.headers.get("Retry-After"), now)
        reset_at = parse_http_date(raw.headers.get("X-FeatureRateLimit-Reset"))
        if wait is None and raw.status in _RATE_LIMITED and reset_at is not None:
            until_reset = reset_at.timestamp() - now
            wait = until_reset if until_reset > 0 else None
        if wait is None or wait <= self.retry.max_wait:
            return wait
        until = datetime.fromtimestamp(now + wait, tz=timezone.utc) if math.isfinite(wait) else None
        stamp = f"{until:%Y-%m-%d %H:%M:%S} UTC" if until else "an unknown time"
        kwargs: dict[str, Any] = {
            "status": raw.status,
            "request_id": error.request_id,
            "method": error.method,
            "path": error.path,
        }
        if raw.status in _RATE_LIMITED:
            raise RateLimited(
                f"{error.cloudinary_message}; rate limited until {stamp}",
                reset_at=until,
                hint="the Admin API quota is hourly; retry after that time",
                **kwargs,
            ) from None
        raise type(error)(
            error.cloudinary_message,
            hint=f"the server asked to retry after {wait:.0f} s "
            f"(more than {self.retry.max_wait:g} s)",
            **kwargs,
        ) from None

    def _interpret(
        self,
        raw: _Raw,
        method: str,
        path: str,
        attempt: int,
        ambiguous: bool,
        error_hint: ErrorHint | None,
    ) -> ApiResponse:
        status, headers, body = raw.status, raw.headers, raw.body
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
                    cloud=self.credentials.cloud_name, source=self.credentials.source
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
        return ApiResponse(
            status=status,
            json=document,
            headers=headers,
            request_id=request_id,
            elapsed=raw.elapsed,
            attempts=attempt,
            after_ambiguous_failure=ambiguous,
        )
