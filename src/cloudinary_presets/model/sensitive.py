"""The process-wide registry of sensitive values, and the masking every output goes through.

Every API secret (and the HTTP Basic blob built from it) is registered the moment it is
read (``cloudinary/secrets.py``'s ``Secret`` does it). :func:`mask` then replaces each
registered value with ``***`` in any text, in every form an output could carry it: as is,
percent-encoded, escaped for JSON, ``repr``, GitHub workflow commands or Markdown.
:func:`contains_sensitive` lets validation refuse a definition value that would carry
one. This module sits in the lowest layer so that every layer can mask: the CLI's
writers, plan documents, validation, exception messages (installed into
``errors.PresetsError`` below).

Short secrets: a value shorter than :data:`MIN_SECRET_LENGTH` characters cannot be
masked reliably (masking ``abc`` would mangle ordinary words while any 3-letter text
could be it), so credentials with such a secret are refused when they are read
(Cloudinary's API secrets are 27 characters) and the registry ignores them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar, cast
from urllib.parse import quote, quote_plus

from cloudinary_presets import errors

#: Secrets shorter than this are refused by the credentials (see the module docstring).
MIN_SECRET_LENGTH = 8
MASK = "***"
T = TypeVar("T")

#: the ways an output may spell a value: each form of a registered value is masked too
_FORMS: tuple[Callable[[str], str], ...] = (
    lambda v: v,
    lambda v: quote(v, safe=""),
    lambda v: quote_plus(v, safe=""),
    lambda v: json.dumps(v)[1:-1],  # JSON, ASCII-only (\u00e9)
    lambda v: json.dumps(v, ensure_ascii=False)[1:-1],  # JSON as the plan files write it
    lambda v: repr(v)[1:-1],  # an f-string's !r
    lambda v: v.encode("unicode_escape").decode("ascii"),  # quoted bodies of HTTP errors
    lambda v: v.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"),  # ::error::
    lambda v: v.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;"),  # Markdown
    lambda v: v.replace("'", "''"),  # YAML single-quoted
)


class _Registry:
    """Process-wide set of sensitive strings, with a cached regex that matches any of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if len(value) < MIN_SECRET_LENGTH:
            return
        forms = {form(value) for form in _FORMS}
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


def register_sensitive(value: str) -> None:
    """Mask ``value`` (in every form) in everything shown or written from now on."""
    _REGISTRY.add(value)


def is_registered(value: str) -> bool:
    return value in _REGISTRY


def contains_sensitive(text: str) -> bool:
    """True when ``text`` contains a registered value (in any of its forms)."""
    pattern = _REGISTRY.pattern()
    return pattern is not None and pattern.search(text) is not None


def mask(text: str) -> str:
    """``text`` with every registered value (in any of its forms) replaced by ``***``."""
    pattern = _REGISTRY.pattern()
    return text if pattern is None else pattern.sub(MASK, text)


def mask_data(value: T) -> T:
    """A JSON-like value with every string (keys included) masked; others unchanged."""
    if _REGISTRY.pattern() is None:
        return value
    return cast(T, _mask_walk(value))


def _mask_walk(value: object) -> object:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {_mask_walk(k): _mask_walk(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_walk(v) for v in value]
    return value


def forms_of(value: str) -> Iterable[str]:
    """Every form :func:`mask` looks for, for one value (for tests)."""
    return {form(value) for form in _FORMS}


errors.install_message_filter(mask)
