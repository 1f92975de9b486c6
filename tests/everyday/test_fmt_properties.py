"""Formatting never changes meaning: generated presets, written messily with comments.

Each example draws a valid preset (``strategies.preset_data``), writes it the way people
do (keys in any order, 2 or 4 spaces, plain or quoted strings, flow or block
collections, literal blocks, blank lines, comments at the end of lines and on their own
lines at any indentation), then formats it and checks:

* the strict reader reads the same data, and ``presets render`` the same YAML;
* every comment is still there;
* the keys are in the canonical order, and formatting again changes nothing.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudinary_presets.definitions.formatting import (
    PRESET_ORDER,
    SETTINGS_ORDER,
    format_checked,
    format_text,
)
from cloudinary_presets.definitions.strict_yaml import parse, resolve_plain
from cloudinary_presets.definitions.yaml_tree import read_tree
from cloudinary_presets.definitions.yaml_writer import dump_yaml
from cloudinary_presets.definitions.yaml_writer import preset_data as canonical_data
from cloudinary_presets.model.preset import Preset
from strategies import preset_data

_COMMENT = st.text(
    st.characters(whitelist_categories=("L", "N", "P", "Zs"), blacklist_characters="\x85"),
    max_size=20,
).map(lambda t: "#" + (" " + t.strip() if t.strip() else ""))


def _plain_ok(value: str, flow: bool) -> bool:
    if not value or value != value.strip() or any(c in value for c in "\t\r\n"):
        return False
    if not isinstance(resolve_plain(value), str) or resolve_plain(value) != value:
        return False
    analysis = yaml.emitter.Emitter(io.StringIO()).analyze_scalar(value)
    return bool(analysis.allow_flow_plain if flow else analysis.allow_block_plain)


def _quoted(value: str, style: str) -> str:
    text = yaml.dump(value, default_style=style, allow_unicode=True, width=2**30)
    return text.rstrip("\n")


class _Writer:
    """Writes plain data as YAML, every style choice drawn by hypothesis."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.step = draw(st.sampled_from([2, 4]))
        self.comments: list[str] = []
        self.lines: list[str] = []
        self.literal_at: int | None = None  # a literal block just ended, its key here

    def comment(self) -> str:
        text: str = self.draw(_COMMENT)
        self.comments.append(text)
        return text

    def maybe_eol(self, line: str) -> str:
        if self.draw(st.integers(0, 3)) == 0:
            return f"{line}{' ' * self.draw(st.integers(1, 6))}{self.comment()}"
        return line

    def before(self, indent: int) -> None:
        if self.draw(st.integers(0, 5)) == 0:
            self.lines.append("")
        if self.draw(st.integers(0, 3)) == 0:
            column = max(0, indent + self.draw(st.integers(-2, 4)))
            if self.literal_at is not None:  # deeper, a `#` line would be the block's text
                column = min(column, self.literal_at)
            self.lines.append(" " * column + self.comment())
        self.literal_at = None

    def scalar(self, value: Any, *, flow: bool) -> str:
        if value is None:
            return self.draw(st.sampled_from(["null", "~"]))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            assert not (isinstance(value, float) and math.isnan(value))
            return repr(value)
        styles = ['"'] + (["'"] if "\n" not in value else [])
        if _plain_ok(value, flow):
            styles.append("")
        style = self.draw(st.sampled_from(styles))
        return value if style == "" else _quoted(value, style)

    def flow(self, value: Any) -> str:
        if isinstance(value, dict):
            items = [f"{self.scalar(k, flow=True)}: {self.flow(v)}" for k, v in value.items()]
            return "{" + ", ".join(items) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v) for v in value) + "]"
        return self.scalar(value, flow=True)

    def value(self, head: str, value: Any, indent: int) -> None:
        """``head`` is ``key:`` or ``-`` at ``indent``; the value follows it."""
        block = isinstance(value, (dict, list)) and value and self.draw(st.booleans())
        if not block:
            literal = (
                isinstance(value, str)
                and "\n" in value
                and value.strip()
                and self.draw(st.booleans())
            )
            if literal:
                text = _quoted(value, "|")
                if text.startswith("|"):
                    header, *body = text.split("\n")
                    self.lines.append(self.maybe_eol(f"{' ' * indent}{head} {header}"))
                    pad = " " * (indent + self.step)
                    self.lines.extend(pad + line[2:] if line else "" for line in body)
                    self.literal_at = indent
                    return
            self.lines.append(self.maybe_eol(f"{' ' * indent}{head} {self.flow(value)}"))
            return
        self.lines.append(self.maybe_eol(f"{' ' * indent}{head}"))
        self.block(value, indent + self.step)

    def block(self, value: dict[str, Any] | list[Any], indent: int) -> None:
        if isinstance(value, dict):
            keys = list(value)
            keys = self.draw(st.permutations(keys))
            for key in keys:
                self.before(indent)
                self.value(f"{self.scalar(key, flow=False)}:", value[key], indent)
        else:
            for item in value:
                self.before(indent)
                self.value("-", item, indent)


@st.composite
def messy_files(draw: Any) -> tuple[str, list[str]]:
    data = draw(preset_data())
    writer = _Writer(draw)
    if draw(st.booleans()):
        writer.lines.append("# yaml-language-server: $schema=../schemas/preset.schema.json")
        writer.comments.append(writer.lines[-1])
    writer.block(data, 0)
    if draw(st.booleans()):
        writer.lines.append(writer.comment())
    return "\n".join(writer.lines) + "\n", writer.comments


def _data(text: str) -> str:
    return json.dumps(parse(text, "x.yaml").data, sort_keys=True, ensure_ascii=False)


def _rendered(text: str) -> str:
    preset = Preset.model_validate(parse(text, "x.yaml").data)
    return dump_yaml(canonical_data(preset))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_formatting_keeps_meaning_and_comments_and_is_stable(case: tuple[str, list[str]]) -> None:
    text, comments = case
    formatted = format_checked(text, "x.yaml")  # raises if it would change anything

    assert _data(formatted) == _data(text)
    assert _rendered(formatted) == _rendered(text)
    kept = Counter(c.text for c in read_tree(formatted).comments)
    assert kept == Counter(c.rstrip() for c in comments)
    assert format_text(formatted) == formatted

    data = parse(formatted, "x.yaml").data
    order = [PRESET_ORDER.index(key) for key in data]
    assert order == sorted(order)
    settings_keys = [SETTINGS_ORDER.index(key) for key in data.get("settings") or {}]
    assert settings_keys == sorted(settings_keys)
