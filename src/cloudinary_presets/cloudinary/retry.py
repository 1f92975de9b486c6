"""When a failed call may be sent again, and how long to wait first.

Only what cannot do a change twice is retried: idempotent calls after a network failure
or a 5xx, and any call the rate limiter refused (420/429) before processing it. Waits are
full-jitter exponential backoff, or what ``Retry-After`` (or the quota reset) asks for,
capped: a server asking for six hours gets an error instead of a sleeping process.

The retries of one call are bounded as a whole too (:class:`RetryBudget`): the attempts
and the waits between them together never take more than the policy's budget (twice
the request timeout unless set), so repeated ``Retry-After: 59`` answers or a server
that hangs on every attempt cost about a minute, not five attempts of everything.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
import urllib3.exceptions

from cloudinary_presets.errors import ApiError, RateLimited

#: Statuses the rate limiter answers with: the call was refused before it was processed.
RATE_LIMITED = frozenset({420, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying idempotent calls; waits longer than ``max_wait`` are refused.

    ``budget`` is the most one call may take, attempts and waits together (None: twice
    the transport's request timeout).
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait: float = 60.0
    budget: float | None = None

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return rng.uniform(0.0, ceiling)


@dataclass
class RetryBudget:
    """The time one call (or one reconciled operation) may still spend, and has spent.

    ``spent`` adds the measured time of each attempt and the requested waits, so the
    accounting holds with an injected ``sleep`` too.
    """

    seconds: float
    spent: float = 0.0
    waited: float = 0.0

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.spent)

    def refusal(self, delay: float, attempt: int, max_attempts: int, why: str = "") -> str | None:
        """Why the call must not wait ``delay`` seconds and try again (None: it may; ""
        when no retry was allowed at all: nothing to explain)."""
        if attempt >= max_attempts:
            return f"the limit of {max_attempts} attempts is reached" if max_attempts > 1 else ""
        if self.spent >= self.seconds:
            return f"the {self.seconds:g} s retry budget is spent"
        if self.spent + delay >= self.seconds:
            asked = f" ({why})" if why else ""
            shown = f"{delay:.0f}" if delay >= 10 else f"{delay:.1f}"
            return f"waiting {shown} s more{asked} would pass the {self.seconds:g} s retry budget"
        return None

    def gave_up(self, attempts: int, reason: str) -> str:
        """``gave up after 2 attempts in 61.0 s (59.0 s of it waiting): <reason>``."""
        counted = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        waiting = f" ({self.waited:.1f} s of it waiting)" if self.waited >= 0.05 else ""
        return f"gave up after {counted} in {self.spent:.1f} s{waiting}: {reason}"


# --------------------------------------------------------------------------- waits


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (or epoch seconds) as an aware UTC datetime; ``None`` if unparseable
    (or past the year 9999, which twelve digits of seconds can be)."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d{1,12}", value):
        try:
            return datetime.fromtimestamp(int(value), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            return None
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


def required_wait(
    error: ApiError,
    status: int,
    headers: Mapping[str, str],
    *,
    now: float,
    max_wait: float,
) -> float | None:
    """The server-imposed wait before a retry, or raise if it exceeds ``max_wait``."""
    wait = parse_retry_after(headers.get("Retry-After"), now)
    reset_at = parse_http_date(headers.get("X-FeatureRateLimit-Reset"))
    if wait is None and status in RATE_LIMITED and reset_at is not None:
        until_reset = reset_at.timestamp() - now
        wait = until_reset if until_reset > 0 else None
    if wait is None or wait <= max_wait:
        return wait
    # finite and within datetime's range: Retry-After has at most 9 digits, dates end in 9999
    until = datetime.fromtimestamp(now + wait, tz=timezone.utc)
    stamp = f"{until:%Y-%m-%d %H:%M:%S} UTC"
    kwargs: dict[str, Any] = {
        "status": status,
        "request_id": error.request_id,
        "method": error.method,
        "path": error.path,
    }
    if status in RATE_LIMITED:
        raise RateLimited(
            f"{error.cloudinary_message}; rate limited until {stamp}",
            reset_at=until,
            hint="the Admin API quota is hourly; retry after that time",
            **kwargs,
        ) from None
    raise type(error)(
        error.cloudinary_message,
        hint=f"the server asked to retry after {wait:.0f} s (more than {max_wait:g} s)",
        **kwargs,
    ) from None


# --------------------------------------------------------------------------- what is retryable


def causes(exc: BaseException) -> Iterator[BaseException]:
    """Walk an exception's chain (``args``, urllib3 ``reason``, ``__cause__``)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack and len(seen) < 32:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        for link in (current.__cause__, current.__context__):
            if link is not None:
                nested.append(link)
        stack.extend(reversed(nested))


def is_tls_failure(exc: BaseException) -> bool:
    return any(
        isinstance(c, (requests.exceptions.SSLError, urllib3.exceptions.SSLError))
        or type(c).__name__ in ("SSLError", "SSLCertVerificationError")
        for c in causes(exc)
    )


def never_sent(exc: BaseException) -> bool:
    """True when the request certainly did not reach the server (nothing to reconcile)."""
    return isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(c, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError))
        for c in causes(exc)
    )


def retryable_network(exc: BaseException) -> bool:
    if is_tls_failure(exc):
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


def retryable_status(status: int) -> bool:
    return status in RATE_LIMITED or (status >= 500 and status != 501)
