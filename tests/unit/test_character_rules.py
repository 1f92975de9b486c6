"""Invisible characters: which ones, how they are named, and how they are shown."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudinary_presets.model.characters import (
    describe,
    escape_invisible,
    invisible_characters,
    is_invisible,
)


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad",
     "\U000e0041", "\x00", "\x1b", "\r", "\x7f", "\u2028", "\u2029", "\u3164", "\u2800"],
)  # fmt: skip
def test_invisible_characters_are_found(char: str) -> None:
    assert is_invisible(char)
    assert invisible_characters(f"a{char}b") == [(1, char)]


@pytest.mark.parametrize("text", ["plain", "café ☃ 日本", "a\u00a0b", "emoji 🔑", "tab\tand\nline"])
def test_visible_text_and_allowed_whitespace_pass(text: str) -> None:
    assert invisible_characters(text) == []
    assert escape_invisible(text, keep="\t\n") == text


def test_descriptions_name_the_character() -> None:
    assert describe("\u202e") == "U+202E (RIGHT-TO-LEFT OVERRIDE)"
    assert describe("\r") == "U+000D (CARRIAGE RETURN)"
    assert describe("\x1b") == "U+001B (ESCAPE)"
    assert describe("\x01") == "U+0001 (CONTROL)"


def test_escapes_keep_json_valid_and_equal() -> None:
    value = "a\u202eb\U000e0041c\x1b[2J\r\n"
    text = json.dumps({"v": value}, ensure_ascii=False)
    escaped = escape_invisible(text)
    assert escaped.isascii()
    assert "\\udb40\\udc41" in escaped  # a surrogate pair above U+FFFF: still JSON
    assert json.loads(escaped) == {"v": value}


def test_colours_are_kept_only_when_asked() -> None:
    styled = "\x1b[31mred \u202e\x1b[0m and \x1b[8mconcealed"
    kept = escape_invisible(styled, keep_colours=True)
    assert kept == "\x1b[31mred \\u202e\x1b[0m and \x1b[8mconcealed"
    assert "\x1b" not in escape_invisible(styled)


@given(
    st.text(
        st.sampled_from("ab \t\n\r\x00\x7f\u00a0\u00ad\u200b\u202e\u2028\u3164\ufeff☃\U000e0041")
        | st.characters(),
        max_size=40,
    ),
    st.sampled_from(["", "\t\n", "\t\n\r"]),
)
def test_every_invisible_character_is_found_at_its_index(text: str, allowed: str) -> None:
    # the definition, one character at a time (the fast path must find exactly these)
    expected = [(i, c) for i, c in enumerate(text) if c not in allowed and is_invisible(c)]
    assert invisible_characters(text, allowed) == expected
