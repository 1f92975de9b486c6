"""The hourly Admin API quota: windows, and the ``X-FeatureRateLimit-*`` headers.

Why: Cloudinary meters Admin API calls per hour and reports the meter on every Admin
response; a client that paces a large apply (or stops with "rate limited until ...")
needs headers that behave like the real ones. Usage is persisted per cloud and per
clock hour in the store, so an emulator restarted within the hour remembers it.
"""

from __future__ import annotations

from cloudinary_presets.emulator.clock import http_date

HOUR = 3600


def hour_of(now: float) -> int:
    """The quota window a moment belongs to (hours since the epoch)."""
    return int(now // HOUR)


def next_reset(now: float) -> float:
    """The next top of the hour, when the quota is renewed."""
    return float((hour_of(now) + 1) * HOUR)


def rate_limit_headers(limit: int, remaining: int, reset_at: float) -> dict[str, str]:
    return {
        "X-FeatureRateLimit-Limit": str(limit),
        "X-FeatureRateLimit-Remaining": str(max(0, remaining)),
        "X-FeatureRateLimit-Reset": http_date(reset_at),
    }
