"""Characters that make text read differently from what it is, and how to show them.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069) reorder what a reviewer sees;
zero-width characters, soft hyphens and tag characters are invisible; other control
characters move the cursor or erase what was printed. A reviewed plan must show exactly
what will be sent, so:

* definitions may not contain any of them (:func:`invisible_characters` finds them;
  validation reports each at its file:line:col). Tabs and newlines are allowed in values;
* everything rendered shows them escaped (:func:`escape_invisible`), never raw, whatever
  their source (a remote preset may hold anything).

The escape is ``\\uXXXX`` (a surrogate pair above U+FFFF), so escaped JSON stays JSON.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: categories never allowed: controls, format characters (bidi, zero-width, soft hyphen,
#: tags), surrogates, line and paragraph separators, unassigned code points
_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
#: letters and symbols that render as nothing (fillers, the blank Braille pattern)
_BLANK_GLYPHS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})
#: what definitions may contain of the above: tabs and newlines in values
ALLOWED_IN_VALUES = "\t\n"
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
#: a terminal colour sequence (what ``click.style`` writes), kept by :func:`escape_invisible`
_SGR = re.compile(r"\x1b\[[0-9;]*m")
#: what may be invisible: anything but printable ASCII (whose categories are letters,
#: digits, punctuation, symbols and the space), found by the regex engine, not a loop
_CANDIDATE = re.compile(r"[^\x20-\x7e]")


@lru_cache(maxsize=4096)
def is_invisible(char: str) -> bool:
    """True for a character that shows as nothing, or changes how the rest reads."""
    return char in _BLANK_GLYPHS or unicodedata.category(char) in _CATEGORIES


def invisible_characters(text: str, allowed: str = ALLOWED_IN_VALUES) -> list[tuple[int, str]]:
    """``(index, character)`` of every invisible character in ``text`` not in ``allowed``."""
    if text.isascii() and text.isprintable():
        return []  # the common case, decided without a loop
    found = []
    for match in _CANDIDATE.finditer(text):  # a whole file: only its line breaks, mostly
        char = match.group()
        if char not in allowed and is_invisible(char):
            found.append((match.start(), char))
    return found


def describe(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``."""
    name = unicodedata.name(char, "")
    if not name and unicodedata.category(char) == "Cc":
        name = {"\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x00": "NULL"}.get(char, "CONTROL")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _escape(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_invisible(text: str, *, keep: str = "", keep_colours: bool = False) -> str:
    """``text`` with every invisible character but those in ``keep`` escaped.

    ``keep_colours`` keeps terminal colour sequences (``ESC [ ... m``) that the CLI's own
    styling wrote; renderers escape what they interpolate before styling it.
    """
    if text.isascii() and text.isprintable():
        return text
    if keep_colours and "\x1b" in text:
        pieces = _SGR.split(text)
        colours = _SGR.findall(text)
        out = [escape_invisible(pieces[0], keep=keep)]
        for colour, piece in zip(colours, pieces[1:], strict=True):
            out.append(colour + escape_invisible(piece, keep=keep))
        return "".join(out)
    return "".join(_escape(c) if c not in keep and is_invisible(c) else c for c in text)
