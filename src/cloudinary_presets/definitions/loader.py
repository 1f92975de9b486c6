"""Read a tree of preset files into validated presets, reporting every problem at once.

One preset per file, ``presets/**/*.yaml`` (and ``.yml``). Every file is read, parsed
strictly, validated, and linted; problems from all files are collected so one run shows
them all. Names must be unique across the tree.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cloudinary_presets.definitions.lints import LINT_IDS, lint
from cloudinary_presets.definitions.strict_yaml import MAX_BYTES, Document, decode, parse
from cloudinary_presets.definitions.validation import dotted, problems_from
from cloudinary_presets.errors import DefinitionError, FileError, Location, Problem, UsageError
from cloudinary_presets.files import inside, is_printable, read_bytes, shown
from cloudinary_presets.model.characters import ALLOWED_IN_VALUES, describe, invisible_characters
from cloudinary_presets.model.preset import PRESET_LEVEL_KEYS, SETTING_KEYS, Preset
from cloudinary_presets.model.taxonomy import CATEGORIES
from cloudinary_presets.model.wording import suggest

SUFFIXES = (".yaml", ".yml")

#: advice for keys written at the wrong level (the most common mistake)
MISPLACED_KEY_HINTS: dict[str, str] = {
    **{f":{k}": f"`{k}` is an upload parameter: put it under `settings:`" for k in SETTING_KEYS},
    **{
        f"settings:{k}": f"`{k}` is a top-level key of the preset, not a setting"
        for k in (*PRESET_LEVEL_KEYS, "name", "protect", "description")
    },
}


@dataclass(frozen=True)
class Definition:
    """A validated preset and where it came from (for locating later findings)."""

    preset: Preset
    document: Document

    @property
    def name(self) -> str:
        return self.preset.name

    @property
    def file(self) -> str:
        return self.document.file

    def location(self, path: tuple[str | int, ...] = (), *, key: bool = False) -> Location:
        return self.document.location(path, key=key)


@dataclass
class PresetSet:
    """The validated definitions of a tree, by name, plus the warnings found."""

    definitions: dict[str, Definition] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    files: int = 0

    def __iter__(self) -> Iterator[Definition]:
        return iter(self.definitions[name] for name in sorted(self.definitions))

    def __len__(self) -> int:
        return len(self.definitions)

    def __contains__(self, name: object) -> bool:
        return name in self.definitions

    def __getitem__(self, name: str) -> Definition:
        return self.definitions[name]

    @property
    def presets(self) -> list[Preset]:
        return [d.preset for d in self]


@dataclass
class Report:
    """Everything ``presets validate`` says: the problems, and what validated."""

    presets: PresetSet
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def summary(self) -> str:
        """The last line of ``presets validate``."""
        return (
            f"{self.presets.files} file(s), {len(self.presets)} valid preset(s): "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``presets validate --format json``)."""
        return {
            "valid": not self.errors,
            "files": self.presets.files,
            "presets": len(self.presets),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a tree is read and validated.

    Ten thousand files make millions of small dicts, tuples, marks and models, none of
    them garbage; with the collector on, its repeated full collections walk all of them
    (about half the time of validating 10,000 files, see benchmarks/RESULTS.md).
    Reference counting frees memory as usual meanwhile, and the collector is switched
    back on (if it was on) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _near_miss(name: str) -> bool:
    """``ugc.YAML``, ``ugc.Yml``: meant as a preset file, but not read as one."""
    return name.lower().endswith(SUFFIXES) and not name.endswith(SUFFIXES)


def scan_tree(root: Path) -> tuple[list[Path], list[Problem]]:
    """Every preset file under ``root`` (or ``root`` itself), sorted, and the near misses.

    Dot-files and dot-folders are skipped. What looks meant as a definition but would not
    be read (``ugc.YAML``, a linked folder, a file name that is not UTF-8, an unreadable
    folder) is an error naming it: a definition silently skipped is a preset pruned.
    """
    if root.exists() and not root.is_dir():
        return [root], []
    if not root.is_dir():
        raise UsageError(
            f"no such file or directory: {shown(root)}",
            hint="run from the repository root, or pass the presets folder as PATH",
        )
    found: list[Path] = []
    problems: list[Problem] = []

    def problem(message: str, path: str | Path) -> None:
        problems.append(Problem(message, Location(shown(path))))

    def unreadable(exc: OSError) -> None:
        problem(f"cannot read the folder: {exc.strerror or exc}", exc.filename or root)

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        kept = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            if os.path.islink(os.path.join(dirpath, name)):
                problem(
                    "a symbolic link to a folder is not followed, so the presets in it are "
                    "not read; move them here, or link each file",
                    Path(dirpath, name),
                )
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            path = Path(dirpath, name)
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            if not is_printable(name):
                problem("the file name is not valid UTF-8; rename it", path)
            elif _near_miss(name):
                problem(
                    "not read as a preset: preset files end in .yaml or .yml (lower case); "
                    "rename it",
                    path,
                )
            else:
                found.append(path)
    return sorted(found), problems


def find_files(root: Path) -> list[Path]:
    """Every preset file under ``root`` (or ``root`` itself), sorted, skipping dot-paths."""
    return scan_tree(root)[0]


def read_document(path: Path, boundary: Path | None = None) -> Document:
    """Read and parse one file; raises DefinitionError with a located problem.

    ``boundary``: a symbolic link leading outside this folder is refused unread.
    """
    where = shown(path)
    try:
        if boundary is not None and path.is_symlink():
            inside(path, boundary)
        # a FIFO or a device in the tree is refused, never opened, and a file over the cap
        # never enters memory
        data = read_bytes(path, limit=MAX_BYTES)
    except FileError as exc:
        raise DefinitionError(
            [Problem(f"{exc.lead} the file: {exc.reason}", Location(where))]
        ) from None
    return parse(decode(data, where), where)


def _shape(data: object) -> str:
    """What a document holds, by its shape: never its content (it may be anyone's file)."""
    if data is None:
        return "empty"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return f"a single string of {len(data)} character(s)"
    if isinstance(data, bool):
        return "a single true/false value"
    return "a single number"


def validate_document(
    doc: Document, context: Mapping[str, Any]
) -> tuple[Preset | None, list[Problem]]:
    """Validate one parsed file as a preset; returns the preset or the problems."""
    if not isinstance(doc.data, dict):
        message = (
            f"the file is {_shape(doc.data)}; a preset file is a mapping with at least `name:` "
            "(see schemas/preset.schema.json)"
        )
        return None, [Problem(message, doc.location(()))]
    try:
        preset = Preset.model_validate(doc.data, context=dict(context))
    except ValidationError as exc:
        return None, problems_from(exc, doc, Preset, hints=MISPLACED_KEY_HINTS)
    unknown = [
        Problem(
            f"unknown lint id {lint_id!r}{suggest(lint_id, sorted(LINT_IDS))}",
            doc.location(("ignore_lints", i)),
            f"ignore_lints[{i}]",
        )
        for i, lint_id in enumerate(preset.ignore_lints)
        if lint_id not in LINT_IDS
    ]
    return (None, unknown) if unknown else (preset, [])


def _lint_location(definition: Definition, path: tuple[str, ...]) -> Location:
    """The key a lint is about, or (when that key is absent) the `unsigned` that triggers it."""
    doc = definition.document
    for candidate in (path, ("unsigned",)):
        if candidate in doc.key_marks:
            return definition.location(candidate, key=True)
    return definition.location(path)


def lint_problems(definition: Definition, *, strict: bool) -> list[Problem]:
    severity = "error" if strict else "warning"
    return [
        Problem(f.message, _lint_location(definition, f.path), dotted(f.path), severity, f.lint_id)
        for f in lint(definition.preset)
    ]


def duplicate_problems(
    definitions: Iterable[Definition],
) -> tuple[dict[str, Definition], list[Problem]]:
    """Keep the first definition of each name; report every duplicate at both places."""
    by_name: dict[str, Definition] = {}
    problems = []
    for definition in definitions:
        first = by_name.get(definition.name)
        if first is None:
            by_name[definition.name] = definition
            continue
        here = definition.location(("name",))
        there = first.location(("name",))
        problems.append(
            Problem(
                f"duplicate preset name {definition.name!r}: also defined at {there}", here, "name"
            )
        )
        problems.append(
            Problem(
                f"duplicate preset name {definition.name!r}: also defined at {here}", there, "name"
            )
        )
    return by_name, problems


def invisible_problems(doc: Document) -> list[Problem]:
    """Each key or value that holds an invisible or control character, at its place.

    They can make a reviewed value read differently from what is sent (a bidi override
    reverses what follows it; a zero-width space hides in a name), so none is accepted;
    values may hold tabs and newlines.
    """
    problems: list[Problem] = []

    def check(text: str, path: tuple[str | int, ...], key: bool) -> None:
        found = invisible_characters(text, "" if key else ALLOWED_IN_VALUES)
        if not found:
            return
        index, char = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        what = "key" if key else "value"
        problems.append(
            Problem(
                f"{describe(char)} at character {index + 1} of the {what}{more}: invisible and "
                "control characters can make a reviewed value read differently from what is "
                "sent; remove it",
                doc.location(path, key=key),
                dotted(path),
            )
        )

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, str):
            check(value, path, key=False)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    check(key, (*path, key), key=True)
                walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(doc.data, ())
    return problems


def validation_context(extra_categories: Iterable[str] = ()) -> dict[str, Any]:
    return {"categories": CATEGORIES | frozenset(extra_categories)}


def check_documents(
    documents: Iterable[Document],
    *,
    extra_categories: Iterable[str] = (),
    strict: bool = False,
    errors: Iterable[Problem] = (),
    files: int = 0,
) -> Report:
    """Validate parsed documents (already resolved for an environment) into a report."""
    context = validation_context(extra_categories)
    problems = list(errors)
    valid = []
    with gc_paused():
        for doc in documents:
            unsafe = invisible_problems(doc)
            preset, found = validate_document(doc, context)
            problems.extend([*unsafe, *found])
            if unsafe:
                continue  # never a definition, whatever else it says
            if preset is not None:
                valid.append(Definition(preset, doc))
    by_name, duplicates = duplicate_problems(valid)
    problems.extend(duplicates)
    for definition in by_name.values():
        problems.extend(lint_problems(definition, strict=strict))
    presets = PresetSet(by_name, [p for p in problems if not p.is_error], files)
    return Report(presets, problems)


def read_documents(
    root: Path, boundary: Path | None = None
) -> tuple[list[Document], list[Problem], int]:
    """Parse every file under ``root``: the documents, the parse problems, the file count.

    Only files inside ``boundary`` (the project root; by default ``root`` itself) are read:
    ``root`` outside it is refused, and so is each symbolic link that leads outside it.
    """
    if boundary is None:
        boundary = root if root.is_dir() else root.parent
    inside(root, boundary)
    documents: list[Document] = []
    paths, problems = scan_tree(root)
    with gc_paused():
        for path in paths:
            try:
                documents.append(read_document(path, boundary))
            except DefinitionError as exc:
                problems.extend(exc.problems)
    return documents, problems, len(paths)


def validate_tree(
    root: Path, *, extra_categories: Iterable[str] = (), strict: bool = False
) -> Report:
    """Read, parse, validate and lint every preset file under ``root``."""
    documents, problems, files = read_documents(root)
    return check_documents(
        documents, extra_categories=extra_categories, strict=strict, errors=problems, files=files
    )


def load_presets(
    path: str | Path = "presets", *, extra_categories: Iterable[str] = (), strict: bool = False
) -> PresetSet:
    """Load and validate the definitions under ``path``; raise one error carrying every problem."""
    report = validate_tree(Path(path), extra_categories=extra_categories, strict=strict)
    if report.errors:
        raise DefinitionError(
            report.problems, f"{len(report.errors)} problem(s) in {shown(Path(path))}"
        )
    return report.presets
