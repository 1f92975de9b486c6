"""Paging of Admin API lists: ``max_results`` and the opaque ``next_cursor``.

Why shared: the preset list and the moderation queues page the same way (1..500 results,
default 10; a cursor that encodes the position of the last item shown, so it stays valid
when items are added or deleted meanwhile).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from cloudinary_presets.emulator.http_error import bad_request

MAX_RESULTS_DEFAULT = 10
MAX_RESULTS_LIMIT = 500


def encode_cursor(seq: int) -> str:
    raw = json.dumps({"before": seq}, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)["before"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request(f"Invalid next_cursor {cursor!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"Invalid next_cursor {cursor!r}")
    return value


def single(params: Mapping[str, object], key: str) -> str | None:
    """One query parameter's value (the last if repeated); None when absent or empty."""
    value = params.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    return None if value in (None, "") else str(value)


def max_results(params: Mapping[str, object]) -> int:
    text = single(params, "max_results")
    if text is None:
        return MAX_RESULTS_DEFAULT
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_RESULTS_LIMIT:
        raise bad_request(
            f"Invalid max_results {text!r}: must be an integer from 1 to {MAX_RESULTS_LIMIT}"
        )
    return number


def cursor(params: Mapping[str, object]) -> int | None:
    """The position ``next_cursor`` names, or None for the first page."""
    text = single(params, "next_cursor")
    return decode_cursor(text) if text is not None else None
