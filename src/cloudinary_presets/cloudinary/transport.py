"""The one HTTP transport every Cloudinary API call goes through.

requests on its own waits forever, follows redirects (replaying a POST as a GET) and reads
bodies of any size. :class:`Transport` pins that down in one place: a total time limit per
request (:mod:`~cloudinary_presets.cloudinary.deadline`) and a time budget per call with
its retries, no redirects, a body limit, no proxy for a local emulator, request bodies
streamed from disk; it also counts every call and keeps the quota the server reports.
The decisions it applies live beside it: :mod:`~cloudinary_presets.cloudinary.retry`
(whether and when to send again),
:mod:`~cloudinary_presets.cloudinary.statuses` (what an answer or a failure means) and
:mod:`~cloudinary_presets.cloudinary.log_redaction` (logs that carry no credential).
"""

from __future__ import annotations

import logging
import platform
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from cloudinary_presets._version import __version__
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.deadline import DeadlineExceeded, time_limit
from cloudinary_presets.cloudinary.http_session import (
    new_session,
    send_prepared,
    settle_environment,
)
from cloudinary_presets.cloudinary.log_redaction import install_redaction, shown_path
from cloudinary_presets.cloudinary.retry import (
    RATE_LIMITED,
    RetryBudget,
    RetryPolicy,
    never_sent,
    parse_http_date,
    required_wait,
    retryable_network,
    retryable_status,
)
from cloudinary_presets.cloudinary.statuses import (
    ErrorHint,
    interpret_response,
    network_error,
    with_hint,
)
from cloudinary_presets.errors import ApiError, BadResponse, NetworkError, UsageError

log = logging.getLogger("cloudinary_presets.cloudinary.transport")
install_redaction(log)

USER_AGENT = (
    f"cloudinary-presets/{__version__} "
    f"(python-requests/{requests.__version__}; Python {platform.python_version()})"
)
#: Largest response body read into memory; a preset page of 500 is well under 5 MiB.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Seconds one request may take, connect to last byte (``--timeout``).
DEFAULT_TIMEOUT = 30.0
#: Seconds to establish a connection, within the request's time.
CONNECT_TIMEOUT = 10.0
_PATH = re.compile(r"(?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+")


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


class BodyReader(Protocol):
    """What requests streams a body from: ``read``, ``__iter__`` and ``__len__``."""

    def read(self, size: int = -1) -> bytes: ...

    def __iter__(self) -> Iterator[bytes]: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class StreamedBody(Protocol):
    """A request body sent from a reader (an upload from disk): its type, its exact length,
    and a fresh reader for each attempt."""

    @property
    def content_type(self) -> str: ...

    @property
    def length(self) -> int: ...

    def open(self) -> BodyReader: ...


@dataclass(frozen=True)
class _Raw:
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    elapsed: float


@dataclass(frozen=True)
class _Content:
    """What one request sends, whichever form it takes."""

    params: Mapping[str, Any] | None
    json: Any
    data: Any
    files: Any
    body: StreamedBody | None
    headers: Mapping[str, str]


def _after_retries(
    error: ApiError, budget: RetryBudget, attempt: int, refusal: str | None
) -> ApiError:
    """The final error, saying how long the retries took and why they stopped."""
    if refusal:
        return with_hint(error, budget.gave_up(attempt, refusal))
    if attempt > 1:
        return with_hint(error, budget.gave_up(attempt, "this failure is not retried"))
    return error


def _parse_int(value: str | None) -> int | None:
    if value is None or not re.fullmatch(r"\s*\d{1,12}\s*", value):
        return None
    return int(value)


class Transport:
    """Sends requests to ``<api_host>/v1_1/<cloud><path>`` and returns parsed JSON objects.

    Thread-safe: parallel applies share one transport (its session keeps no cookies, and
    the quota and call counters are guarded by a lock). ``timeout`` is the seconds one
    request may take, connect to last byte (a pair: connect, total); the retry policy's
    budget, unless set, is twice that.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.credentials = credentials
        # a pair is (connect, total): the total bounds the whole request, not each read
        connect, total = timeout if isinstance(timeout, tuple) else (CONNECT_TIMEOUT, timeout)
        if not total > 0 or not connect > 0:
            raise UsageError(f"the request timeout must be more than 0 s, not {timeout!r}")
        self.timeout = float(total)
        self.connect_timeout = float(min(connect, total))
        self.retry = retry or RetryPolicy()
        budget = self.retry.budget
        self.retry_budget = float(budget) if budget is not None else 2 * self.timeout
        self._scope = threading.local()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._max_body = max_body_bytes
        self._owns_session = session is None
        self._session = session or new_session()
        self._lock = threading.Lock()
        self._quota = Quota()
        self._calls: dict[str, int] = {}
        self._host = urlsplit(credentials.api_host).netloc
        # Requests to a local emulator must not go through an HTTP(S)_PROXY.
        self._proxies: Any = {"http": None, "https": None} if credentials.is_loopback else None
        if self._owns_session:
            self._proxies = settle_environment(self._session, credentials)
        # Requests of its own session go straight to the adapter (http_session.py); a
        # session passed in may have hooks or cookies, and goes through Session.request.
        self._direct = self._owns_session
        self._send_proxies = {k: v for k, v in (self._proxies or {}).items() if v is not None}

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
        delay = self.retry.backoff(attempt, self._rng)
        budget = getattr(self._scope, "budget", None)
        if budget is not None:
            budget.spent += delay
            budget.waited += delay
        self._sleep(delay)

    @contextmanager
    def retry_scope(self) -> Iterator[RetryBudget]:
        """Share one retry budget among every request the calling thread sends inside
        (an operation that reconciles, such as a create read back after a lost answer)."""
        outer: RetryBudget | None = getattr(self._scope, "budget", None)
        if outer is not None:
            yield outer
            return
        budget = RetryBudget(self.retry_budget)
        self._scope.budget = budget
        try:
            yield budget
        finally:
            self._scope.budget = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        body: StreamedBody | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        idempotent: bool,
        success_on_retry: Collection[int] = (),
        error_hint: ErrorHint | None = None,
    ) -> ApiResponse:
        """Send one API call; retry it only if ``idempotent``; return its JSON object.

        A call that is not idempotent is retried only after a 420/429: the rate limiter
        refused it before it was processed, so sending it again cannot do it twice. Each
        attempt takes at most the request timeout; the attempts and the waits between
        them together stay within the retry budget.

        ``body`` streams a request body (an upload) from a reader opened afresh for each
        attempt; ``headers`` are sent with it. ``success_on_retry`` lists error statuses
        that mean success when an earlier attempt may have reached the server (a DELETE
        answered 404 after a lost response). They are returned as an :class:`ApiResponse`
        with ``after_ambiguous_failure`` set. ``error_hint(status, message, headers)`` may
        add a hint to an error.
        """
        method = method.upper()
        url = self.url_for(path)
        url_path = urlsplit(url).path
        basic = self.credentials.basic_auth() if auth else None
        attempts = max(1, self.retry.max_attempts)
        shown = shown_path(url_path, params)
        content = _Content(params, json, data, files, body, headers or {})
        ambiguous = False
        with self.retry_scope() as budget:
            for attempt in range(1, attempts + 1):
                limit = min(self.timeout, budget.remaining())
                if limit <= 0:  # an operation sharing the budget has spent it: do not send
                    raise NetworkError(
                        f"not sent: the {budget.seconds:g} s retry budget of this operation "
                        f"is spent ({budget.spent:.1f} s)",
                        method=method,
                        path=url_path,
                    )
                if auth:
                    self._count(method)
                started = time.monotonic()
                try:
                    raw = self._send(method, url, content, basic, limit, started)
                except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                    budget.spent += time.monotonic() - started
                    error: ApiError = network_error(
                        exc, method, url_path, self._host, (self.connect_timeout, limit)
                    )
                    self._log_failure(method, shown, error, started, attempt, attempts)
                    if not idempotent or not retryable_network(exc):
                        raise _after_retries(error, budget, attempt, None) from exc
                    delay = self.retry.backoff(attempt, self._rng)
                    refusal = budget.refusal(delay, attempt, attempts)
                    if refusal is not None:
                        raise _after_retries(error, budget, attempt, refusal) from exc
                    ambiguous = ambiguous or not never_sent(exc)
                    self._pause(budget, method, shown, attempt, delay)
                    continue
                budget.spent += raw.elapsed
                self._log_answer(method, shown, raw, attempt, attempts)
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
                    refused = status in RATE_LIMITED  # refused unprocessed: safe to resend
                    if not retryable_status(status) or not (idempotent or refused):
                        raise
                    wait = required_wait(
                        error, status, raw.headers, now=self._clock(), max_wait=self.retry.max_wait
                    )
                    delay = wait if wait is not None else self.retry.backoff(attempt, self._rng)
                    why = "as the server asked" if wait is not None else ""
                    refusal = budget.refusal(delay, attempt, attempts, why)
                    if refusal is not None:
                        raise _after_retries(error, budget, attempt, refusal) from None
                    ambiguous = ambiguous or status not in RATE_LIMITED
                    self._pause(budget, method, shown, attempt, delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_failure(
        self, method: str, shown: str, error: ApiError, started: float, attempt: int, of: int
    ) -> None:
        log.debug(
            "%s %s -> %s in %d ms (attempt %d/%d)",
            method,
            shown,
            error.cloudinary_message,
            (time.monotonic() - started) * 1000,
            attempt,
            of,
        )

    def _log_answer(self, method: str, shown: str, raw: _Raw, attempt: int, of: int) -> None:
        self._observe(raw.headers)
        quota = self.quota
        log.debug(
            "%s %s -> %d in %d ms (attempt %d/%d, quota %s/%s)",
            method,
            shown,
            raw.status,
            raw.elapsed * 1000,
            attempt,
            of,
            "?" if quota.remaining is None else quota.remaining,
            "?" if quota.limit is None else quota.limit,
        )

    def _pause(
        self, budget: RetryBudget, method: str, shown: str, attempt: int, delay: float
    ) -> None:
        log.info("retrying %s %s in %.2f s (attempt %d failed)", method, shown, delay, attempt)
        budget.spent += delay
        budget.waited += delay
        self._sleep(delay)

    def _send(
        self,
        method: str,
        url: str,
        content: _Content,
        basic: tuple[str, str] | None,
        limit: float,
        started: float,
    ) -> _Raw:
        """One attempt, connect to last byte within ``limit`` seconds."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **content.headers}
        data = content.data
        if content.body is not None:
            headers["Content-Type"] = content.body.content_type
            headers["Content-Length"] = str(content.body.length)
            data = content.body.open()
        with time_limit(limit) as guard:
            try:
                raw = self._exchange(method, url, content, data, headers, basic, limit, started)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if guard.expired:
                    raise DeadlineExceeded(limit, clipped=limit < self.timeout) from exc
                raise
            finally:
                if data is not content.data:
                    data.close()
            if guard.expired:  # a body cut short may still have looked complete
                raise DeadlineExceeded(limit, clipped=limit < self.timeout)
        return raw

    def _exchange(
        self,
        method: str,
        url: str,
        content: _Content,
        data: Any,
        headers: dict[str, str],
        basic: tuple[str, str] | None,
        limit: float,
        started: float,
    ) -> _Raw:
        # as UTF-8 bytes: requests would encode text as Latin-1 (and fail beyond it)
        auth: Any = (basic[0].encode(), basic[1].encode()) if basic else None
        timeout = (min(self.connect_timeout, limit), limit)
        if self._direct:
            response = send_prepared(
                self._session,
                method,
                url,
                headers=headers,
                files=content.files,
                data=data,
                json=content.json,
                params=content.params,
                auth=auth,
                timeout=timeout,
                proxies=self._send_proxies,
            )
        else:
            response = self._session.request(
                method,
                url,
                params=content.params,
                json=content.json,
                data=data,
                files=content.files,
                auth=auth,
                headers=headers,
                timeout=timeout,
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

    def _interpret(
        self,
        raw: _Raw,
        method: str,
        path: str,
        attempt: int,
        ambiguous: bool,
        error_hint: ErrorHint | None,
    ) -> ApiResponse:
        document = interpret_response(
            raw.status,
            raw.headers,
            raw.body,
            method=method,
            path=path,
            credentials=self.credentials,
            error_hint=error_hint,
        )
        return ApiResponse(
            status=raw.status,
            json=document,
            headers=raw.headers,
            request_id=raw.headers.get("X-Request-Id"),
            elapsed=raw.elapsed,
            attempts=attempt,
            after_ambiguous_failure=ambiguous,
        )
