"""Preset names: the local naming rule and the one glob matcher every layer uses.

``ignore``, ``protect``, ``--only`` and import arguments are all shell-style globs on
preset names; they go through :func:`matches` so they can never disagree.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

NAME_PATTERN = r"^[A-Za-z0-9_-]{1,255}$"
NAME_RULE = "1 to 255 of A-Z a-z 0-9 _ -"
_NAME = re.compile(NAME_PATTERN)


def is_valid_name(name: str) -> bool:
    """True when ``name`` may be a definition's name (and a file name)."""
    return _NAME.fullmatch(name) is not None  # not match(): `$` also matches before a newline


def matches(name: str, globs: Iterable[str]) -> bool:
    """True when ``name`` matches any of the shell-style ``globs`` (case-sensitive)."""
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)
