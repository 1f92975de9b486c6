"""How a value reads to the person who wrote it, in every error message.

YAML authors think in YAML: ``got the number 5``, ``got a list``, ``got the boolean
true``, not ``int``, ``list[Any]`` or ``True``. Long strings are shortened so one problem
stays one line.
"""

from __future__ import annotations

from collections.abc import Mapping

_LONGEST = 60


def describe(value: object) -> str:
    """``the number 5``, ``the string 'a,b'``, ``the boolean true``, ``a list``, ``null``."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        if len(value) > _LONGEST:
            return f"the string '{value[:40]}...' ({len(value)} characters)"
        return f"the string {value!r}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a map"
    return type(value).__name__


def type_message(expected: str, value: object) -> str:
    """``expected a string, got the number 1.1; quote it to keep it as written``."""
    message = f"expected {expected}, got {describe(value)}"
    if "a string" in expected and isinstance(value, (int, float)) and not isinstance(value, bool):
        message += "; quote it to keep it as written"
    return message
