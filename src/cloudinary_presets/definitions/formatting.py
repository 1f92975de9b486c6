"""``presets fmt``: preset files in one canonical layout, every comment kept.

* keys in the model's order: ``name``, ``description``, ``unsigned``, ... ``settings``,
  ``extra_settings``, and inside ``settings`` the schema's order; unknown keys keep
  their place after the known ones;
* two spaces per level, sequences indented under their key (``  - item``);
* strings plain where the strict reader (and a YAML 1.1 reader) reads them back as the
  same string, double-quoted otherwise; plain values are kept exactly as written, so
  ``0.70`` stays ``0.70`` and ``yes`` stays a string;
* flow collections (``[jpg, png]``) stay on one line unless a comment sits inside, block
  scalars (``|``) keep their text, comments stay with the entry they describe.

Every result is checked before it is used: the strict reader must read the same data
from it and every comment must still be there, otherwise the file is left as written
and the reason reported (:class:`~cloudinary_presets.errors.FormatRefused`).
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cloudinary_presets.definitions.loader import find_files
from cloudinary_presets.definitions.strict_yaml import MAX_BYTES, decode, parse, resolve_plain
from cloudinary_presets.definitions.yaml_tree import Collection, Comment, Entry, Scalar, read_tree
from cloudinary_presets.errors import DefinitionError, FileError, FormatRefused, Location, Problem
from cloudinary_presets.files import read_bytes, shown, write_atomic
from cloudinary_presets.model.preset import Preset, Settings

INDENT = 2
PRESET_ORDER = tuple(Preset.model_fields)
SETTINGS_ORDER = tuple(info.alias or name for name, info in Settings.model_fields.items())
MODELINE = "yaml-language-server:"
_BLOCK_HEADER = re.compile(r"(?:![^\s]*\s+)?([|>][0-9+-]*)")
_CORE_PREFIX = "tag:yaml.org,2002:"
_YAML11 = yaml.resolver.Resolver()  # what PyYAML (and many editors) read a plain value as


# --------------------------------------------------------------------------- scalars


@lru_cache(maxsize=4096)
def _plain_safe(value: str, flow: bool) -> bool:
    """``value`` written plain reads back as the same string, here and in YAML 1.1 tools."""
    if not value or value != value.strip() or value == "<<" or any(c in value for c in "\t\r\n"):
        return False  # the strict reader refuses tabs in plain values
    if resolve_plain(value) != value or not isinstance(resolve_plain(value), str):
        return False
    if _YAML11.resolve(yaml.ScalarNode, value, (True, False)) != _CORE_PREFIX + "str":  # type: ignore[no-untyped-call]
        return False
    analysis = yaml.emitter.Emitter(io.StringIO()).analyze_scalar(value)
    return bool(analysis.allow_flow_plain if flow else analysis.allow_block_plain)


def _double_quoted(value: str) -> str:
    text = yaml.dump(
        value, Dumper=yaml.SafeDumper, default_style='"', allow_unicode=True, width=2**30
    )
    return text.rstrip("\n")


def _tag_text(tag: str | None) -> str:
    if tag is None:
        return ""
    return "!!" + tag[len(_CORE_PREFIX) :] if tag.startswith(_CORE_PREFIX) else f"!<{tag}>"


def _with_tag(tag: str | None, text: str) -> str:
    shown = _tag_text(tag)
    return f"{shown} {text}" if shown else text


# --------------------------------------------------------------------------- the emitter


@dataclass
class _Line:
    text: str
    content: bool = True  # False: a comment or a blank line
    keep_block_end: bool = False  # ends a `|+` scalar: no blank line may follow
    commented: bool = False  # ends with a comment


@dataclass
class _Emitter:
    lines: list[str]  # the source lines
    out: list[_Line] = field(default_factory=list)

    # -- scalars -------------------------------------------------------------------------

    def scalar(self, node: Scalar, *, flow: bool) -> str:
        if not node.style:
            if node.start[0] == node.end[0]:  # as written: same text, same meaning
                return self.lines[node.start[0]][node.start[1] : node.end[1]]
            if not _plain_safe(node.value, flow):
                raise FormatRefused("a multi-line plain value cannot be written on one line")
            return _with_tag(node.tag, node.value)
        if _plain_safe(node.value, flow):
            return _with_tag(node.tag, node.value)
        return _with_tag(node.tag, _double_quoted(node.value))

    def key(self, entry: Entry, *, flow: bool) -> str:
        assert entry.key is not None
        return self.scalar(entry.key, flow=flow)

    def flow(self, node: Scalar | Collection) -> str:
        if isinstance(node, Scalar):
            text = self.scalar(node, flow=True)
            return text or "null"  # an empty plain value is null; `{a: , b}` reads oddly
        if node.kind == "map":
            items = [f"{self.key(e, flow=True)}: {self.flow(e.value)}" for e in node.entries]
            return _with_tag(node.tag, "{" + ", ".join(items) + "}")
        return _with_tag(node.tag, "[" + ", ".join(self.flow(e.value) for e in node.entries) + "]")

    # -- lines ---------------------------------------------------------------------------

    def emit(
        self,
        text: str,
        *,
        content: bool = True,
        keep_block_end: bool = False,
        commented: bool = False,
    ) -> None:
        if not text and self.out and self.out[-1].keep_block_end:
            return  # a blank line after `|+` would join the scalar's value
        self.out.append(_Line(text, content, keep_block_end, commented))

    def comments(self, texts: Iterable[str], indent: int) -> None:
        for text in texts:
            self.emit(" " * indent + text if text else "", content=False)

    def entry_line(self, text: str, eol: Comment | None) -> None:
        if eol is not None:
            pad = eol.column if len(text) < eol.column else len(text) + 2
            text = text.ljust(pad) + eol.text
        self.emit(text, commented=eol is not None)

    # -- collections ---------------------------------------------------------------------

    def block(self, node: Collection, indent: int, entries: Sequence[Entry] | None = None) -> None:
        for number, entry in enumerate(node.entries if entries is None else entries):
            if entry.blank_before and number:
                self.emit("", content=False)
            self.comments(entry.leading, indent)
            if node.kind == "map":
                self.value(entry, " " * indent + self.key(entry, flow=False) + ":", indent)
            else:
                self.item(entry, indent)
        self.comments(node.trailing, indent)

    def value(self, entry: Entry, prefix: str, indent: int) -> None:
        """``prefix`` (``key:`` or ``-``) and the entry's value, block content below it."""
        value = entry.value
        if isinstance(value, Scalar) and value.style in ("|", ">"):
            self.block_scalar(value, prefix, entry, indent)
        elif isinstance(value, Scalar):
            text = self.scalar(value, flow=False)
            self.entry_line(f"{prefix} {text}" if text else prefix, entry.eol)
        elif value.flow and (not value.entries or not value.has_comments()):
            self.entry_line(f"{prefix} {self.flow(value)}", entry.eol)
        else:
            tag = _tag_text(value.tag)
            self.entry_line(f"{prefix} {tag}" if tag else prefix, entry.eol)
            self.block(value, indent + INDENT)

    def item(self, entry: Entry, indent: int) -> None:
        """A sequence item: ``- value``, a nested block starting on the dash line."""
        value = entry.value
        if isinstance(value, Scalar) or (value.flow and not value.has_comments()) or value.tag:
            self.value(entry, " " * indent + "-", indent)
            return
        nested = _Emitter(self.lines)
        nested.block(value, indent + INDENT)
        lines = nested.out
        first = next(i for i, line in enumerate(lines) if line.content)
        for line in lines[:first]:  # the first entry's comments go above the dash
            self.emit(" " * indent + line.text.lstrip() if line.text else "", content=False)
        head = lines[first]
        eol = entry.eol
        if eol is not None and head.commented:  # two notes for one line: this one goes above
            self.emit(" " * indent + eol.text, content=False)
            eol = None
        text = " " * indent + "- " + head.text[indent + INDENT :]
        if eol is None:
            self.emit(text, commented=head.commented)
        else:
            self.entry_line(text, eol)
        self.out.extend(lines[first + 1 :])

    def block_scalar(self, node: Scalar, prefix: str, entry: Entry, indent: int) -> None:
        """``|``/``>`` as written, its text shifted with its entry (the value is unchanged)."""
        start_line, start_column = node.start
        source = self.lines[start_line]
        header = _BLOCK_HEADER.match(source, start_column)
        if header is None:
            raise FormatRefused("a block scalar header could not be read")
        indicators = header.group(1)
        self.entry_line(f"{prefix} {_with_tag(node.tag, indicators)}", entry.eol)
        body = self.lines[start_line + 1 : node.last_line + 1]
        keep = "+" in indicators
        if not keep:
            while body and not body[-1].strip():
                body.pop()  # clipped or stripped: trailing blank lines are not the value
        written = next((len(t) - len(t.lstrip(" ")) for t in body if t.strip()), None)
        if any(c.isdigit() for c in indicators) or written is None:
            shift = indent - entry.column  # an explicit indentation counts from the entry
        else:
            shift = indent + INDENT - written  # detected from the first line: make it 2
        for number, text in enumerate(body):
            last = number == len(body) - 1
            if shift >= 0:
                shifted = " " * shift + text if text else text
            else:
                shifted = text[-shift:] if text[:-shift].strip() == "" else text
            self.emit(shifted, keep_block_end=keep and last)


# --------------------------------------------------------------------------- a document


def _ordered(entries: Sequence[Entry], order: Sequence[str]) -> list[Entry]:
    rank = {key: number for number, key in enumerate(order)}

    def position(entry: Entry) -> int:
        key = entry.key.value if entry.key is not None else ""
        return rank.get(key, len(rank))

    return sorted(entries, key=position)  # stable: unknown keys keep their order


def _header(first: Entry) -> list[str]:
    """The file's opening comments: what a blank line or the modeline separates from the
    first entry. The rest of the first entry's comments travel with it."""
    leading = first.leading
    cut = 0
    if "" in leading:
        cut = len(leading) - leading[::-1].index("")
    modelines = [n for n, text in enumerate(leading) if MODELINE in text]
    if modelines and modelines[-1] + 1 > cut:
        cut = modelines[-1] + 1
    header, first.leading = leading[:cut], leading[cut:]
    return header


def format_text(text: str) -> str:
    """The canonical form of one preset file (``FormatRefused`` if it cannot be made safely)."""
    tree = read_tree(text)
    root = tree.root
    if root is None:
        return text
    if not isinstance(root, Collection) or root.kind != "map":
        raise FormatRefused("the top level is not a mapping (a preset file is `name: ...`)")
    if not root.entries:
        return text
    emitter = _Emitter(tree.lines)
    header = _header(root.entries[0])
    emitter.comments(header, 0)
    if tree.explicit_start:
        emitter.emit("---")
    for entry in root.entries:
        value = entry.value
        named = entry.key.value if entry.key is not None else ""
        if named == "settings" and isinstance(value, Collection) and value.kind == "map":
            value.entries = _ordered(value.entries, SETTINGS_ORDER)
    emitter.block(root, 0, _ordered(root.entries, PRESET_ORDER))
    return "\n".join(line.text for line in emitter.out) + "\n"


def _canonical_data(text: str, file: str) -> str:
    return json.dumps(parse(text, file).data, sort_keys=True, ensure_ascii=False)


def _comment_texts(text: str) -> Counter[str]:
    return Counter(comment.text for comment in read_tree(text).comments)


def format_checked(text: str, file: str) -> str:
    """:func:`format_text`, proven: same data, same comments, or ``FormatRefused``."""
    before = _canonical_data(text, file)  # the strict reader first: invalid YAML is an error
    formatted = format_text(text)
    if formatted == text:
        return text
    try:
        after = _canonical_data(formatted, file)
    except DefinitionError:
        after = None
    if after != before:
        raise FormatRefused(f"{file}: formatting would change what the file means; left as is")
    if _comment_texts(formatted) != _comment_texts(text):
        raise FormatRefused(f"{file}: formatting would lose a comment; left as is")
    return formatted


# --------------------------------------------------------------------------- files


@dataclass
class FormatReport:
    """What ``presets fmt`` did (or, with ``--check``, would do)."""

    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    check: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not (self.check and self.changed)

    def summary(self) -> str:
        verb = "would be reformatted" if self.check else "reformatted"
        text = f"{len(self.changed)} file(s) {verb}, {self.unchanged} already formatted"
        if self.problems:
            text += f", {len(self.problems)} left as is (see above)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "problems": [p.to_dict() for p in self.problems],
        }


def format_files(paths: Sequence[Path], *, check: bool = False, write: Any = None) -> FormatReport:
    """Format every preset file under ``paths`` (files or folders).

    ``write(path, text)`` replaces a file (default: an atomic rewrite); with ``check``
    nothing is written and the report names the files that would change.
    """
    report = FormatReport(check=check)
    for path in [f for p in paths for f in find_files(p)]:
        name = shown(path)
        try:
            text = decode(read_bytes(path, limit=MAX_BYTES), name)
            formatted = format_checked(text, name)
        except FileError as exc:
            report.problems.append(Problem(f"{exc.lead} the file: {exc.reason}", Location(name)))
            continue
        except DefinitionError as exc:
            report.problems.extend(exc.problems)
            continue
        except FormatRefused as exc:
            report.problems.append(Problem(exc.message, Location(name)))
            continue
        if formatted == text:
            report.unchanged += 1
            continue
        report.changed.append(name)
        if not check:
            (write or _replace)(path, formatted)
    return report


def _replace(path: Path, text: str) -> None:
    """Rewrite a file atomically (a reader sees the old or the new one), keeping its mode."""
    write_atomic(path, text, doing="reformat")
