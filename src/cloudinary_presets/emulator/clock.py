"""Times as Cloudinary writes them.

Why a module: three APIs (Admin, Upload, quota headers) print times, in two formats;
one definition of each keeps them identical.
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone


def iso_time(timestamp: float) -> str:
    """``2026-11-25T10:00:00Z`` (``created_at``, ``updated_at``)."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(timestamp: float) -> str:
    """``Wed, 25 Nov 2026 11:00:00 GMT`` (``X-FeatureRateLimit-Reset``)."""
    return email.utils.formatdate(timestamp, usegmt=True)
