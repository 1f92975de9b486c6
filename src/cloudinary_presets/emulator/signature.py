"""Upload API request signatures, verified the way the reference (section 5) describes.

Why a module of its own: the string to sign is the one place where the client and the
server must agree byte for byte, and the error message must show that string (never
the secret) so a developer can see which parameter differs.

String to sign: every parameter except ``file``, ``api_key``, ``resource_type``,
``cloud_name``, ``signature`` and ``signature_algorithm``; only non-empty values; lists
joined with ``,``; each ``k=v`` with ``&`` escaped as ``%26`` (signature version 2,
the SDK default; version 1 without the escape is accepted too); sorted; joined with
``&``; the API secret appended; SHA-1 or SHA-256 hex.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

UNSIGNED_KEYS = frozenset(
    {"file", "api_key", "resource_type", "cloud_name", "signature", "signature_algorithm"}
)
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def _text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def string_to_sign(params: Mapping[str, object], version: int = 2) -> str:
    """The canonical string for ``params`` (without the secret)."""
    pairs = []
    for key, value in params.items():
        if key in UNSIGNED_KEYS or value is None or value in ("", []):
            continue
        pair = f"{key}={_text(value)}"
        if version >= 2:
            pair = pair.replace("&", "%26")
        pairs.append(pair)
    return "&".join(sorted(pairs))


def sign(params: Mapping[str, object], secret: str, algorithm: str = "sha1") -> str:
    """The hex signature a correct client computes (used by the emulator's tests)."""
    digest = _ALGORITHMS[algorithm]
    return digest((string_to_sign(params) + secret).encode("utf-8")).hexdigest()


def verify(params: Mapping[str, object], secret: str, signature: str) -> bool:
    """True when ``signature`` matches ``params`` under SHA-1 or SHA-256, v2 or v1."""
    requested = params.get("signature_algorithm")
    names = [requested] if isinstance(requested, str) and requested in _ALGORITHMS else None
    candidates = names or list(_ALGORITHMS)
    given = signature.strip().lower().encode("utf-8")
    matched = False
    for version in (2, 1):
        payload = (string_to_sign(params, version) + secret).encode("utf-8")
        for name in candidates:
            expected = _ALGORITHMS[name](payload).hexdigest().encode("ascii")
            # evaluate every candidate: no early exit that would time the comparison
            matched |= hmac.compare_digest(expected, given)
    return matched
