"""A YAML document as a tree that keeps what formatting needs: styles, positions, comments.

``presets fmt`` reorders keys and re-indents without losing a comment, so it needs more
than data: every node's style and position, and every comment attached to the entry it
describes. PyYAML gives the structure (parser events) and the exact span of every token
(scanner); a comment is whatever is left on a line outside the tokens. Ownership follows
how people write comments:

* an end-of-line comment belongs to the innermost entry on that line;
* a full-line comment belongs to the next entry of the deepest open collection whose
  indentation is at or left of the comment (a comment indented into a block describes
  what follows in that block), or trails that collection when nothing follows in it.

Only documents the strict reader accepts are read here (it runs first), so anchors,
aliases and foreign tags never arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from cloudinary_presets.definitions.strict_yaml import _Loader
from cloudinary_presets.errors import FormatRefused

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK_HEADER = re.compile(r"[|>][0-9+-]*")


@dataclass
class Comment:
    line: int  # 0-based
    column: int
    text: str  # from '#' to the end of the line, trailing blanks removed


@dataclass
class Scalar:
    value: str
    style: str  # "" plain, "'" or '"' quoted, "|" or ">" block
    tag: str | None  # an explicit tag (full form), None when implicit
    start: tuple[int, int]
    end: tuple[int, int]

    @property
    def last_line(self) -> int:
        return self.end[0] - 1 if self.end[1] == 0 and self.end[0] > self.start[0] else self.end[0]


@dataclass
class Entry:
    """A key and its value in a mapping, or an item of a sequence (``key`` None)."""

    key: Scalar | None
    value: Node
    head: int  # line of the key, or of the item
    column: int
    depth: int
    leading: list[str] = field(default_factory=list)  # comment lines; "" = a blank line
    eol: Comment | None = None
    blank_before: bool = False
    parent: Collection | None = None

    @property
    def last_line(self) -> int:
        return self.value.last_line


@dataclass
class Collection:
    kind: str  # "map" or "seq"
    flow: bool
    tag: str | None
    start: tuple[int, int]
    end: tuple[int, int]
    entries: list[Entry] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)
    parent: Entry | None = None

    @property
    def column(self) -> int:
        return self.entries[0].column if self.entries else self.start[1]

    @property
    def last_line(self) -> int:
        if self.flow or not self.entries:
            return self.end[0]
        return self.entries[-1].last_line

    def has_comments(self) -> bool:
        """True when a comment sits anywhere inside (a flow collection then goes block)."""
        if self.trailing:
            return True
        for entry in self.entries:
            if entry.leading or entry.eol:
                return True
            if isinstance(entry.value, Collection) and entry.value.has_comments():
                return True
        return False


Node = Scalar | Collection


@dataclass
class Tree:
    lines: list[str]
    root: Node | None
    explicit_start: bool
    comments: list[Comment]
    leading: list[str] = field(default_factory=list)  # comments of a document with no entries


def read_tree(text: str) -> Tree:
    lines = _LINE_BREAK.split(text)
    comments = _comments(text, lines)
    root, explicit = _compose(text, lines)
    tree = Tree(lines, root, explicit, comments)
    _attach(tree)
    return tree


# --------------------------------------------------------------------------- comments


def _tokens(text: str) -> list[Any]:
    loader = _Loader(text)
    try:
        found = []
        while (token := loader.get_token()) is not None:
            found.append(token)
        return found
    finally:
        loader.dispose()


def _comments(text: str, lines: list[str]) -> list[Comment]:
    """Every comment: what is left of a line outside the tokens, starting with ``#``."""
    covered: dict[int, int] = {}  # line -> the column where tokens stop covering it
    full: set[int] = set()  # lines wholly inside a token (multi-line scalars)
    for token in _tokens(text):
        (l1, c1), (l2, c2) = _pos(token.start_mark), _pos(token.end_mark)
        style = getattr(token, "style", None)
        if isinstance(token, yaml.ScalarToken) and style in ("|", ">"):
            header = _BLOCK_HEADER.match(lines[l1], c1)
            covered[l1] = max(covered.get(l1, 0), header.end() if header else c1 + 1)
            last = l2 - 1 if c2 == 0 else l2
            full.update(range(l1 + 1, last + 1))
            continue
        if l1 == l2:
            covered[l1] = max(covered.get(l1, 0), c2)
            continue
        covered[l1] = max(covered.get(l1, 0), len(lines[l1]))
        full.update(range(l1 + 1, l2))
        covered[l2] = max(covered.get(l2, 0), c2)
    found = []
    for number, line in enumerate(lines):
        if number in full:
            continue
        start = covered.get(number, 0)
        rest = line[start:]
        stripped = rest.lstrip()
        if stripped.startswith("#"):
            column = start + len(rest) - len(stripped)
            found.append(Comment(number, column, stripped.rstrip()))
    return found


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line, mark.column)


# --------------------------------------------------------------------------- structure


def _style(event: Any) -> str:
    return event.style or ""


def _tag(event: Any, plain_implicit: bool) -> str | None:
    tag = event.tag
    if tag is None or tag == "!" or plain_implicit:
        return None
    return str(tag)


def _dash_line(lines: list[str], collection: Collection, value_line: int) -> int:
    """The line of a block sequence item's ``-`` (its value may start on a later line)."""
    column = collection.start[1]
    line = value_line
    while line > collection.start[0] and lines[line][column : column + 1] != "-":
        line -= 1
    return line


def _compose(text: str, lines: list[str]) -> tuple[Node | None, bool]:
    loader = _Loader(text)
    try:
        events = []
        while (event := loader.get_event()) is not None:
            events.append(event)
    finally:
        loader.dispose()
    explicit = False
    stack: list[tuple[Collection, list[Scalar | None]]] = []
    root: Node | None = None
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            if event.version or event.tags:
                raise FormatRefused("YAML directives (%YAML, %TAG) are kept as written")
            explicit = bool(event.explicit)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done, _ = stack.pop()
            done.end = _pos(event.end_mark)
            if not stack:
                root = done
            continue
        if isinstance(event, yaml.ScalarEvent):
            plain = not event.style and bool(event.implicit[0])
            node: Node = Scalar(
                event.value,
                _style(event),
                _tag(event, plain),
                _pos(event.start_mark),
                _pos(event.end_mark),
            )
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
            node = Collection(
                kind,
                bool(event.flow_style),
                _tag(event, bool(event.implicit)),
                _pos(event.start_mark),
                _pos(event.end_mark),
            )
        else:
            continue  # stream and document boundaries
        if not stack:
            if isinstance(node, Collection):
                stack.append((node, [None]))
            else:
                root = node
            continue
        parent, pending = stack[-1]
        if parent.kind == "map" and pending[0] is None:
            assert isinstance(node, Scalar)  # the strict reader allows only string keys
            pending[0] = node
            continue
        key = pending[0] if parent.kind == "map" else None
        pending[0] = None
        if key is not None:
            head, column = key.start[0], key.start[1]
        elif parent.flow:
            head, column = node.start[0], parent.start[1]
        else:
            head, column = _dash_line(lines, parent, node.start[0]), parent.start[1]
        entry = Entry(key, node, head, column, len(stack), parent=parent)
        parent.entries.append(entry)
        if isinstance(node, Collection):
            node.parent = entry
            stack.append((node, [None]))
    return root, explicit


# --------------------------------------------------------------------------- attaching


def _entries(root: Node | None) -> list[Entry]:
    """Every entry in document order."""
    out: list[Entry] = []

    def walk(node: Node) -> None:
        if isinstance(node, Collection):
            for entry in node.entries:
                out.append(entry)
                walk(entry.value)

    if root is not None:
        walk(root)
    return out


Pairs = list[tuple[int, str]]  # (line, comment text)


def _attach(tree: Tree) -> None:
    entries = _entries(tree.root)
    leading: dict[int, Pairs] = {}  # id(entry) -> its leading comments
    trailing: dict[int, Pairs] = {}  # id(collection) -> its trailing comments
    loose: Pairs = []  # a document without entries
    for comment in tree.comments:
        pair = (comment.line, comment.text)
        if tree.lines[comment.line][: comment.column].strip():
            owner = _eol_owner(entries, comment)
            if owner is not None:
                if owner.eol is None:
                    owner.eol = comment
                else:  # a second comment on one entry's lines (a value on the next line)
                    leading.setdefault(id(owner), []).append(pair)
                continue
        found = _full_line_owner(tree.root, entries, comment)
        if isinstance(found, Entry):
            leading.setdefault(id(found), []).append(pair)
        elif isinstance(found, Collection):
            trailing.setdefault(id(found), []).append(pair)
        else:
            loose.append(pair)
    lines = tree.lines
    for entry in entries:
        pairs = sorted(leading.get(id(entry), []))
        entry.leading = _with_blanks(lines, pairs, stop=entry.head)
        top = min([entry.head, *(line for line, _ in pairs)])
        entry.blank_before = top > 0 and not lines[top - 1].strip()
    for collection in _collections(tree.root):
        collection.trailing = _with_blanks(lines, trailing.get(id(collection), []), stop=None)
    tree.leading = _with_blanks(lines, loose, stop=None)


def _eol_owner(entries: list[Entry], comment: Comment) -> Entry | None:
    """The innermost entry whose lines include the comment's, outside closed brackets."""
    best: Entry | None = None
    line = comment.line
    for entry in entries:
        if not entry.head <= line <= max(entry.head, entry.last_line):
            continue
        if _closed_before(entry, comment):
            continue  # `[a, b]  # c`: the comment follows the list, not its last item
        if best is None or entry.depth >= best.depth:
            best = entry
    return best


def _closed_before(entry: Entry, comment: Comment) -> bool:
    """True when a flow collection around ``entry`` closes before the comment's column."""
    collection = entry.parent
    while collection is not None:
        end_line, end_column = collection.end
        if collection.flow and end_line == comment.line and end_column <= comment.column:
            return True
        collection = collection.parent.parent if collection.parent is not None else None
    return False


def _full_line_owner(
    root: Node | None, entries: list[Entry], comment: Comment
) -> Entry | Collection | None:
    """The entry a full-line comment leads, or the collection it trails."""
    if not isinstance(root, Collection):
        return None
    before = [e for e in entries if e.head < comment.line]
    candidates: list[tuple[Collection, int]] = []  # a collection, the least column it owns
    if before:
        previous = before[-1]
        value = previous.value
        if isinstance(value, Collection) and value.entries and value.start[0] > previous.head:
            # between `key:` and its first item: indented past the key is inside
            candidates.append((value, min(value.column, previous.column + 1)))
        node: Collection | None = previous.parent
        while node is not None:
            candidates.append((node, node.column))
            node = node.parent.parent if node.parent is not None else None
    else:
        candidates.append((root, 0))
    owner = next((c for c, least in candidates if least <= comment.column), candidates[-1][0])
    following = next((e for e in owner.entries if e.head > comment.line), None)
    return following if following is not None else owner


def _with_blanks(lines: list[str], pairs: Pairs, *, stop: int | None) -> list[str]:
    """Comment lines in order, with "" where blank lines separated them (and before
    ``stop``, the line of the entry they lead)."""
    out: list[str] = []
    previous: int | None = None
    for line, text in pairs:
        if previous is not None and _blank_between(lines, previous, line):
            out.append("")
        out.append(text)
        previous = line
    if stop is not None and previous is not None and _blank_between(lines, previous, stop):
        out.append("")
    return out


def _blank_between(lines: list[str], first: int, last: int) -> bool:
    return any(not lines[n].strip() for n in range(first + 1, last))


def _collections(root: Node | None) -> list[Collection]:
    out: list[Collection] = []

    def walk(node: Node) -> None:
        if isinstance(node, Collection):
            out.append(node)
            for entry in node.entries:
                walk(entry.value)

    if root is not None:
        walk(root)
    return out
