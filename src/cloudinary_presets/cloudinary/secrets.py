"""The process-wide registry of sensitive values, and the :class:`Secret` that holds one.

An API secret is wrapped in :class:`Secret` the moment it is read, so a ``repr``, an
f-string, a traceback or a pickle can never show it. Every secret (and the HTTP Basic
blob built from it) is also registered here, and :func:`redact` scrubs registered values
and credential-shaped text from anything about to be shown or logged (the log filter in
:mod:`cloudinary_presets.cloudinary.log_redaction` uses it).
"""

from __future__ import annotations

import hmac
import re
import threading
from typing import NoReturn
from urllib.parse import quote, quote_plus

#: Secrets shorter than this are not scrubbed from free text (it would mangle ordinary
#: words and numbers); they are still masked everywhere a :class:`Secret` is formatted.
MIN_REDACTED_LENGTH = 6


class _Registry:
    """Process-wide set of sensitive strings, with a cached regex that matches any of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if len(value) < MIN_REDACTED_LENGTH:
            return
        forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= forms
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                longest_first = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in longest_first))
            return self._pattern

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._values


_REGISTRY = _Registry()

#: Shapes that carry credentials whatever their value: header lines, dict reprs, query
#: strings, JSON bodies, URL user-info. Applied after the registered values.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:\w+\s+)?[^\s\"',;}]+"),
        r"\1***",
    ),
    (re.compile(r"(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/=._~-]{6,}"), r"\1\2***"),
    (re.compile(r"(?i)\b(signature|api_secret)(=|%3D)[^&\s\"'<>]+"), r"\1\2***"),
    (re.compile(r"(?i)\b(invalid signature\s+)[0-9a-f]{8,}"), r"\1***"),
    (re.compile(r"(?i)([\"'](?:signature|api_secret)[\"']\s*:\s*[\"'])[^\"']*"), r"\1***"),
    (re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1***@"),
)


def register_sensitive(value: str) -> None:
    """Make :func:`redact` (and so the log filter) scrub ``value`` from now on."""
    _REGISTRY.add(value)


def is_registered(value: str) -> bool:
    return value in _REGISTRY


def redact(text: str) -> str:
    """Scrub registered secrets and credential-shaped substrings from ``text``."""
    pattern = _REGISTRY.pattern()
    if pattern is not None:
        text = pattern.sub("***", text)
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
