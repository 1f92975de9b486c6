"""Is a notification really from Cloudinary, and recent?

Cloudinary signs each ``notification_url`` POST: ``X-Cld-Timestamp`` is Unix seconds and
``X-Cld-Signature`` the hex SHA-1 (or SHA-256, per the account's setting) of the raw body,
then the timestamp, then the API secret (pycloudinary
``utils.verify_notification_signature``). A receiver must check the raw bytes it got
(re-serialised JSON would not match), compare in constant time, and refuse old
timestamps so a captured notification cannot be replayed for ever.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.errors import BadSignature, NotificationError, StaleNotification

DEFAULT_MAX_AGE = 7200  # seconds, as the SDK's valid_for
TIMESTAMP_HEADER = "X-Cld-Timestamp"
SIGNATURE_HEADER = "X-Cld-Signature"

_HASHES: dict[str, Callable[[bytes], Any]] = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
#: hex digest length -> algorithm: the signature says which one the account uses
_BY_LENGTH = {40: "sha1", 64: "sha256"}


def _timestamp(value: str | int) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 12:
        raise NotificationError(
            f"malformed {TIMESTAMP_HEADER} {text[:20]!r}: expected Unix seconds"
        )
    return int(text)


def verify_notification(
    body: bytes | str,
    timestamp: str | int,
    signature: str,
    *,
    secret: str | Secret,
    max_age: float = DEFAULT_MAX_AGE,
    algorithm: Literal["sha1", "sha256"] | None = None,
    now: float | None = None,
) -> None:
    """Raise unless ``signature`` signs ``body`` + ``timestamp`` with ``secret``, and the
    timestamp is at most ``max_age`` seconds old.

    ``body`` is the raw request body. SHA-1 and SHA-256 are both accepted (told apart by
    the signature's length) unless ``algorithm`` names one. Raises
    :class:`~cloudinary_presets.errors.StaleNotification` for an old timestamp,
    :class:`~cloudinary_presets.errors.BadSignature` for a wrong or missing signature.
    """
    reveal = secret.reveal() if isinstance(secret, Secret) else secret
    if not reveal:
        raise NotificationError("no API secret to verify the notification with")
    sent = _timestamp(timestamp)
    age = (time.time() if now is None else now) - sent
    if age > max_age:
        raise StaleNotification(
            f"notification timestamp {sent} is {age:.0f} s old (more than {max_age:.0f} s)",
            hint="a replayed or very late notification: answer 4xx and do not act on it",
        )
    given = (signature or "").strip()
    chosen = algorithm or _BY_LENGTH.get(len(given))
    if chosen not in _HASHES:
        raise BadSignature(
            f"{SIGNATURE_HEADER} is missing or not a hex SHA-1/SHA-256 digest",
            hint="only Cloudinary, holding the API secret, can sign notifications",
        )
    payload = body if isinstance(body, bytes) else body.encode("utf-8")
    expected = _HASHES[chosen](payload + f"{timestamp}{reveal}".encode()).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8")):
        raise BadSignature(
            f"{SIGNATURE_HEADER} does not match the body ({chosen})",
            hint="check the receiver reads the raw body (not re-encoded JSON) and that the "
            "API secret is this product environment's",
        )


class Headers(Protocol):
    """Request headers as web frameworks give them (a dict, Flask's, Starlette's)."""

    def get(self, key: str, /) -> str | None: ...

    def items(self) -> Iterable[tuple[str, str]]: ...


def header(headers: Headers | Mapping[str, str], name: str) -> str:
    """A header by name, whatever the mapping's case handling (Flask, Starlette, dict)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    if value is None:
        raise BadSignature(
            f"the notification has no {name} header",
            hint="only Cloudinary's signed notifications are accepted",
        )
    return value
