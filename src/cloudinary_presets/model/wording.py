"""How a value reads to the person who wrote it, in every error message.

YAML authors think in YAML: ``got the number 5``, ``got a list``, ``got the boolean
true``, not ``int``, ``list[Any]`` or ``True``. Long strings are shortened so one problem
stays one line, and a near miss gets a suggestion.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

_LONGEST = 60


def shorten(text: str) -> str:
    """``repr(text)``, or its start and length when it is too long to show in one line."""
    if len(text) <= _LONGEST:
        return repr(text)
    return f"'{text[:40]}...' ({len(text)} characters)"


def describe_value(value: object) -> str:
    """``the number 5``, ``the string 'a,b'``, ``the boolean true``, ``a list``, ``null``."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {shorten(value)}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a map"
    return type(value).__name__


def type_message(expected: str, value: object) -> str:
    """``expected a string, got the number 1.1; quote it to keep it as written``."""
    message = f"expected {expected}, got {describe_value(value)}"
    if "a string" in expected and isinstance(value, (int, float)) and not isinstance(value, bool):
        message += "; quote it to keep it as written"
    return message


def suggest(word: str, choices: Sequence[str] | Mapping[str, Any]) -> str:
    """`` (did you mean `x`?)`` when a close choice exists, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def name_list(names: Sequence[str], limit: int = 10) -> str:
    """``a, b, c`` or, past ``limit`` names, ``a, b, c and 17 more``: a summary a person
    reads instead of one line per name."""
    shown = ", ".join(names[:limit])
    hidden = len(names) - limit
    return f"{shown} and {hidden} more" if hidden > 0 else shown
