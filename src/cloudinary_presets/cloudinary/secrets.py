"""The :class:`Secret` that holds an API secret, and :func:`redact` for logs and errors.

An API secret is wrapped in :class:`Secret` the moment it is read, so a ``repr``, an
f-string, a traceback or a pickle can never show it, and it is registered in the
process-wide registry (:mod:`cloudinary_presets.model.sensitive`), whose mask every
output goes through. :func:`redact` masks the registered values and, beyond them,
credential-shaped text whatever its value (``Authorization`` headers, signatures, URL
user-info): what logs and quoted server answers need.
"""

from __future__ import annotations

import hmac
import re
from typing import NoReturn

from cloudinary_presets.model.sensitive import (
    MIN_SECRET_LENGTH,
    is_registered,
    mask,
    register_sensitive,
)

__all__ = ["MIN_SECRET_LENGTH", "Secret", "is_registered", "redact", "register_sensitive"]

#: Shapes that carry credentials whatever their value: header lines, dict reprs, query
#: strings, JSON bodies, URL user-info. Applied after the registered values. None of them
#: consumes a backslash, so masking JSON text never breaks one of its escapes.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:\w+\s+)?[^\s\"',;}\\]+"),
        r"\1***",
    ),
    (re.compile(r"(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/=._~-]{6,}"), r"\1\2***"),
    (re.compile(r"(?i)\b(signature|api_secret)(=|%3D)[^&\s\"'<>\\]+"), r"\1\2***"),
    (re.compile(r"(?i)\b(invalid signature\s+)[0-9a-f]{8,}"), r"\1***"),
    (re.compile(r"(?i)([\"'](?:signature|api_secret)[\"']\s*:\s*[\"'])[^\"'\\]*"), r"\1***"),
    (re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1***@"),
)
#: a cheap test that lets most texts skip the shapes
_MAYBE_SHAPED = re.compile(r"(?i)authorization|basic|bearer|signature|api_secret|://")


def redact(text: str) -> str:
    """Mask registered secrets and credential-shaped substrings in ``text``."""
    text = mask(text)
    if _MAYBE_SHAPED.search(text) is None:
        return text
    for shape, replacement in _SHAPES:
        text = shape.sub(replacement, text)
    return text


class Secret:
    """A string that never shows itself: ``repr``/``str``/format give ``'***'``.

    Only :meth:`reveal` returns the value, so every place that needs the clear text is
    greppable. Pickling is refused (a pickle is a clear-text copy); copying returns the
    same immutable object.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        object.__setattr__(self, "_value", value)
        register_sensitive(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal().encode(), other.reveal().encode())

    def __hash__(self) -> int:
        return hash((Secret, self.reveal()))

    def __bool__(self) -> bool:
        return bool(self.reveal())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or serialised")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or serialised")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self
