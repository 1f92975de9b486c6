"""How a value reads to the person who wrote it, in every error message.

YAML authors think in YAML: ``got the number 5``, ``got a list``, ``got the boolean
true``, not ``int``, ``list[Any]`` or ``True``. Long strings are shortened so one problem
stays one line, and a near miss gets a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cloudinary_presets.model.sensitive import mask

#: the longest excerpt of a value an error message quotes
EXCERPT = 40
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s@]*@")
_WORD = re.compile(r"[A-Za-z0-9_\-+/=.~]{20,}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")


def looks_like_credential(text: str) -> bool:
    """A URL with user-info (``https://user:token@host``) or a long random-looking token.

    A token: 20 or more characters without spaces or commas that mix upper case, lower
    case and digits (API secrets, access tokens), or 32 or more hex digits.
    """
    if _USERINFO.search(text):
        return True
    for word in _WORD.findall(text):
        if _HEX.search(word) and any(c.isdigit() for c in word):
            return True
        if (
            any(c.isupper() for c in word)
            and any(c.islower() for c in word)
            and any(c.isdigit() for c in word)
        ):
            return True
    return False


def shorten(value: object) -> str:
    """How an error message quotes a value: ``repr(value)``, or an excerpt, or nothing.

    Messages quote at most :data:`EXCERPT` characters of a value, and never a value that
    looks like a credential (a file that is not a preset may be anything, ~/.netrc too).
    """
    # masked before anything is cut: a cut secret could not be recognised any more
    text = mask(value if isinstance(value, str) else repr(value))
    if looks_like_credential(text):
        return f"<{len(text)} characters that look like a credential, not shown>"
    if not isinstance(value, str):
        return text if len(text) <= EXCERPT else f"{text[:EXCERPT]}... ({len(text)} characters)"
    if len(text) <= EXCERPT:
        return repr(text)
    return f"'{text[:EXCERPT]}...' ({len(text)} characters)"


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


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance between ``a`` and ``b``, or ``limit`` when it is at least that."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)


def nearest(word: str, choices: Sequence[str], within: int = 2) -> str | None:
    """The closest choice at most ``within`` edits away (ties: alphabetical), or None."""
    best: tuple[int, str] | None = None
    for choice in choices:
        distance = edit_distance(word, choice, within + 1)
        if distance <= within and (best is None or (distance, choice) < best):
            best = (distance, choice)
    return best[1] if best else None
