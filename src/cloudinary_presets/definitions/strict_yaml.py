"""A strict YAML reader that keeps the location of every key and value.

PyYAML's ``safe_load`` accepts duplicate keys (the last one wins), expands aliases
(billion laughs), turns ``no`` into ``False`` and ``0755`` into 493, builds dates, and
loses every line number. Preset files are reviewed configuration, so this reader walks
PyYAML's event stream (libyaml when present) and builds plain data itself:

* YAML 1.2 core scalars only: ``true``/``false``, ``null``/``~``, decimal ints without a
  leading zero, decimal floats; everything else (``yes``, ``off``, ``0755``, ``1:30``,
  ``2024-01-01``) stays a string for the schema to judge;
* anchors, aliases, merge keys and every tag outside the core schema are refused;
* keys must be strings and unique; one document per file; bounded size and depth;
* every problem is reported at ``file:line:column``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from cloudinary_presets.errors import DefinitionError, Location, Problem
from cloudinary_presets.files import utf8_position
from cloudinary_presets.model.characters import describe, invisible_characters
from cloudinary_presets.model.wording import shorten

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 12

KeyPath = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = {
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}  # fmt: skip
_CORE_TAGS = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
    "tag:yaml.org,2002:bool": bool,
    "tag:yaml.org,2002:null": type(None),
}
_CONTAINER_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_NUMBER_START = frozenset("+-.0123456789")
_TAB_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)
# C0 and C1 controls except tab/newline/carriage return, plus the Unicode line separators
# that PyYAML treats as line breaks (which would shift every reported line number).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


@dataclass(frozen=True)
class Mark:
    line: int
    column: int
    file: str | None = None  # set when a value was merged in from another file


@dataclass
class Document:
    """Parsed data plus the mark of every value (``marks``) and mapping key (``key_marks``)."""

    file: str
    data: Any
    marks: dict[KeyPath, Mark] = field(default_factory=dict)
    key_marks: dict[KeyPath, Mark] = field(default_factory=dict)

    def location(self, path: KeyPath, *, key: bool = False) -> Location:
        """The location of ``path``, or of its nearest recorded ancestor."""
        table = self.key_marks if key else self.marks
        probe = tuple(path)
        while probe:
            mark = table.get(probe) or self.marks.get(probe)
            if mark:
                return Location(mark.file or self.file, mark.line, mark.column)
            probe = probe[:-1]
        mark = self.marks.get(())
        return Location(self.file, mark.line if mark else 1, mark.column if mark else 1)


class _Fail(Exception):
    def __init__(self, message: str, mark: Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (``\\r\\n``, ``\\r`` and ``\\n`` end lines)."""
    line, start = 1, 0
    for brk in _LINE_BREAK.finditer(text, 0, index):
        line, start = line + 1, brk.end()
    return line, index - start + 1


@lru_cache(maxsize=8192)
def _mark_at(line: int, column: int) -> Mark:
    # Marks are immutable, and files share most of their positions: one object each.
    return Mark(line, column)


def _mark(event_mark: Any) -> Mark:
    return _mark_at(event_mark.line + 1, event_mark.column + 1)


def _fail(file: str, message: str, line: int = 0, column: int = 0) -> DefinitionError:
    problem = Problem(message, Location(file, line, column))
    return DefinitionError([problem], f"{file} is not valid YAML for a preset")


def check_size(size: int, file: str) -> None:
    """Refuse files over the cap (1 MiB: a preset is a few hundred bytes)."""
    if size > MAX_BYTES:
        raise _fail(file, f"file is {size} bytes; the limit is {MAX_BYTES} (1 MiB)")


def decode(data: bytes, file: str) -> str:
    """Bytes to text: strict UTF-8 (BOM allowed), size-capped, with located errors."""
    check_size(len(data), file)
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _fail(file, "file is UTF-32 encoded; save it as UTF-8", 1, 1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(file, "file is UTF-16 encoded; save it as UTF-8", 1, 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif len(data) >= 2 and data.count(0) * 4 >= len(data):  # ASCII text is half NULs in UTF-16
        raise _fail(file, "file looks UTF-16 or UTF-32 encoded (no BOM); save it as UTF-8", 1, 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = utf8_position(data, exc.start)
        byte = data[exc.start]
        raise _fail(
            file, f"invalid UTF-8 byte 0x{byte:02X}; save the file as UTF-8", line, column
        ) from None
    bad = _FORBIDDEN.search(text)
    if bad:
        line, column = _position(text, bad.start())
        raise _fail(
            file,
            f"control character U+{ord(bad.group()):04X} is not allowed; remove it",
            line,
            column,
        )
    hidden = invisible_characters(text, "\t\n\r")
    if hidden:
        line, column = _position(text, hidden[0][0])
        raise _fail(file, _invisible_message(hidden[0][1]), line, column)
    tab = _TAB_INDENT.search(text)
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        column = tab.end() - tab.start()
        raise _fail(file, "tab character used for indentation; indent with spaces", line, column)
    return text


def _invisible_message(char: str, how: str = "") -> str:
    return (
        f"{describe(char)} is not allowed{how}: invisible and control characters can make a "
        "reviewed file read differently from what is sent; remove it"
    )


def _check_scalar(event: Any, mark: Mark, text: str, clean: bool = False) -> None:
    """Refuse what the raw-text checks cannot see: escaped controls, tabs in plain values.

    ``clean``: ``text`` holds no forbidden character, so only a double-quoted scalar (the
    one style with escapes) can have one in its value.
    """
    value: str = event.value
    bad = _FORBIDDEN.search(value) if not clean or event.style == '"' else None
    if bad:
        raise _Fail(
            f"control character U+{ord(bad.group()):04X} is not allowed (written as an "
            "escape); remove it",
            mark,
        )
    hidden = invisible_characters(value) if event.style == '"' else []
    if hidden:
        raise _Fail(_invisible_message(hidden[0][1], " (written as an escape)"), mark)
    if "\t" in value and not event.style:
        start, end = event.start_mark.index, event.end_mark.index
        offset = text.find("\t", start, end)
        line, column = _position(text, offset) if offset >= 0 else (mark.line, mark.column)
        raise _Fail(
            "tab character in an unquoted value; use spaces, or quote the value",
            Mark(line, column),
        )


def _scalar(event: Any, mark: Mark) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is not None and tag != "!":
        kind = _CORE_TAGS.get(tag)
        if kind is None:
            raise _Fail(_tag_message(tag), mark)
        resolved = resolve_plain(value)
        if kind is str:
            return value
        if isinstance(resolved, kind) and not (kind is int and isinstance(resolved, bool)):
            return resolved
        if kind is float and isinstance(resolved, int) and not isinstance(resolved, bool):
            return float(resolved)
        name = tag.rsplit(":", 1)[-1]
        raise _Fail(
            f"{shorten(value)} is not a valid {name}; fix the value or remove the !!{name} tag",
            mark,
        )
    if not event.style and event.implicit[0]:  # plain style: None (Python) or "" (libyaml)
        return resolve_plain(value)
    return value


def resolve_plain(value: str) -> Any:
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value[0] not in _NUMBER_START:  # no int, float or special float starts otherwise
        return value
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value) and any(ch.isdigit() for ch in value):
        return float(value)
    special = _SPECIAL_FLOAT.get(value)
    if special is not None:
        return special
    return value


def _refuse_anchor(event: Any, mark: Mark) -> None:
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        raise _Fail(f"anchors (&{anchor}) are not allowed; write the value out in full", mark)


def _container_tag(event: Any, mark: Mark) -> None:
    tag = event.tag
    if tag is not None and tag != "!" and tag not in _CONTAINER_TAGS:
        raise _Fail(_tag_message(tag), mark)


def _tag_message(tag: str) -> str:
    """Name a tag as it was written (``!!binary``, not ``tag:yaml.org,2002:binary``)."""
    shown = "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag
    return f"tag {shown} is not allowed; remove it (only plain YAML values are accepted)"


def parse(text: str, file: str) -> Document:
    """Parse one YAML document with the rules in the module docstring."""
    doc = Document(file, None)
    try:
        _build(text, doc)
    except _Fail as exc:
        mark = exc.mark
        raise _fail(
            file, exc.message, mark.line if mark else 0, mark.column if mark else 0
        ) from None
    except yaml.MarkedYAMLError as exc:
        yaml_mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc, text)
        line, column = (yaml_mark.line + 1, yaml_mark.column + 1) if yaml_mark else (0, 0)
        raise _fail(file, message, line, column) from None
    except yaml.YAMLError as exc:
        raise _fail(file, f"cannot parse YAML: {exc}") from None
    except RecursionError:
        raise _fail(file, f"nesting is too deep (the limit is {MAX_DEPTH} levels)") from None
    return doc


#: how to fix the syntax errors people make most (keyed by a fragment of the problem)
_SYNTAX_HINTS = (
    ("mapping values are not allowed", "check the indentation, or quote a value with ': '"),
    ("did not find expected key", "check the indentation and the brackets"),
    ("expected ',' or ']'", "close the list with ']' and separate items with ','"),
    ("expected ',' or '}'", "close the map with '}' and separate items with ','"),
    ("unexpected end of stream", "close the quote or bracket"),
    ("cannot start any token", "quote the value"),
    ("could not find expected ':'", "write `key: value`, with a space after the colon"),
)


def _yaml_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    problem = (exc.problem or "syntax error").strip()
    if "maximum nesting depth" in problem:  # libyaml's own cap (1000), met while scanning ahead
        return f"nesting is too deep (the limit is {MAX_DEPTH} levels)"
    mark = exc.problem_mark
    if mark is not None and 0 <= mark.index < len(text):
        char = text[mark.index]
        if char == "\t":
            return "tab character not allowed here; use spaces, or quote the value"
        if "cannot start any token" in problem:
            problem = problem.replace("character", f"character {char!r}", 1)
    context = (exc.context or "").strip()
    start = exc.context_mark
    message = problem
    if ("quoted" in context or "flow" in context) and start is not None:
        message += f" {context} started at line {start.line + 1}, column {start.column + 1}"
    hint = next((h for fragment, h in _SYNTAX_HINTS if fragment in problem), "")
    return f"{message}; {hint}" if hint else message


_ScalarEvent = yaml.ScalarEvent
_MappingStartEvent = yaml.MappingStartEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_END_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_SKIPPED_EVENTS = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)


def _build(text: str, doc: Document) -> None:
    loader = _Loader(text)
    get_event = loader.get_event  # None after the stream's end
    # Each frame: [container, path, pending_key, pending_key_path, seen_keys, is_mapping]
    stack: list[list[Any]] = []
    documents = 0
    root_set = False
    clean = _FORBIDDEN.search(text) is None
    marks, key_marks = doc.marks, doc.key_marks
    try:
        while (event := get_event()) is not None:
            etype = type(event)
            if etype in _END_EVENTS:
                stack.pop()
                continue
            if etype is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Fail(
                        "expected a single YAML document; found a second one (remove `---`)",
                        _mark(event.start_mark),
                    )
                continue
            if etype in _SKIPPED_EVENTS:
                continue
            mark = _mark(event.start_mark)
            if etype is yaml.AliasEvent:
                raise _Fail(
                    f"aliases (*{event.anchor}) are not allowed; write the value out in full", mark
                )
            _refuse_anchor(event, mark)
            parent = stack[-1] if stack else None
            # A mapping key: must be a plain string scalar.
            if parent is not None and parent[5] and parent[2] is None:
                if etype is not _ScalarEvent:
                    raise _Fail("keys must be plain strings, not mappings or lists", mark)
                _check_scalar(event, mark, text, clean)
                key = _scalar(event, mark)
                if not isinstance(key, str):
                    raise _Fail(f"keys must be strings; quote it: {shorten(event.value)}", mark)
                if "\n" in key or "\r" in key:
                    raise _Fail("keys must be on one line", mark)
                if key == "<<" and not event.style:
                    raise _Fail("merge keys (<<) are not allowed; write the keys out", mark)
                first = parent[4].get(key)
                if first is not None:
                    raise _Fail(
                        f"duplicate key {shorten(key)} (first defined at line {first.line})", mark
                    )
                parent[4][key] = mark
                parent[2] = key
                parent[3] = path = (*parent[1], key)
                key_marks[path] = mark
                continue
            # A value: a scalar, or the start of a mapping or a sequence.
            if parent is None:
                path = ()
            elif parent[5]:
                path = parent[3]
            else:
                path = (*parent[1], len(parent[0]))
            marks[path] = mark
            if etype is _ScalarEvent:
                _check_scalar(event, mark, text, clean)
                value: Any = _scalar(event, mark)
            elif etype is _MappingStartEvent:
                _container_tag(event, mark)
                value = {}
            elif etype is _SequenceStartEvent:
                _container_tag(event, mark)
                value = []
            else:  # pragma: no cover - PyYAML emits no other events
                raise _Fail(f"unexpected YAML construct {etype.__name__}", mark)
            if parent is None:
                doc.data = value
                root_set = True
            elif parent[5]:
                parent[0][parent[2]] = value
                parent[2] = None
            else:
                parent[0].append(value)
            if etype is not _ScalarEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _Fail(f"nesting is too deep (the limit is {MAX_DEPTH} levels)", mark)
                stack.append([value, path, None, None, {}, etype is _MappingStartEvent])
    finally:
        loader.dispose()
    if not root_set:
        doc.data = None
