"""A repository of preset definitions: its configuration, environments and definitions.

The CLI opens a :class:`Project` once and asks it for an environment's resolved,
validated definitions; the same calls make up the Python API.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cloudinary_presets.definitions.config import CONFIG_FILE, LoadedConfig, load_config
from cloudinary_presets.definitions.environments import (
    EnvironmentSpec,
    environment_spec,
    remote_name,
    remote_name_problems,
    resolve_documents,
)
from cloudinary_presets.definitions.loader import (
    Report,
    check_documents,
    find_files,
    read_documents,
)
from cloudinary_presets.definitions.strict_yaml import MAX_BYTES
from cloudinary_presets.errors import DefinitionError, FileError
from cloudinary_presets.files import is_inside, read_bytes, shown
from cloudinary_presets.model.preset import Preset

#: local state of a project (emulator data, the apply lock), never committed
STATE_DIR = Path(".presets")
#: what makes a folder a project root: the configuration, or the default presets folder
ROOT_MARKERS = (CONFIG_FILE, "presets")


def find_root(start: Path) -> Path:
    """The project root for a command run in ``start``, found as git finds its repository.

    The nearest folder upward (``start`` included) holding ``cloudinary-presets.yaml`` or a
    ``presets/`` folder. The search stops at the top of a git work tree (a folder with
    ``.git``), so a stray ``~/presets`` never captures an unrelated checkout; with no
    marker found the root is ``start`` itself. The answer is relative to the working
    directory (``.``, ``..``), so paths in messages read as typed.
    """
    here = start.resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return Path(os.path.relpath(folder))
        if (folder / ".git").exists():
            break
    return Path(os.path.relpath(here))


#: a top-level ``name:`` line, for files too broken to parse
_NAME_LINE = re.compile(r"^name:[ \t]*(['\"]?)([^'\"#\s][^'\"#]*?)\1[ \t]*(?:#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class Desired:
    """One definition resolved for a target: its remote name and where it was written."""

    name: str
    remote_name: str
    preset: Preset
    file: str = ""
    line: int = 0


@dataclass
class Project:
    root: Path
    loaded: LoadedConfig
    presets_dir: Path
    #: only files inside this folder are read (the root, unless ``open(own_folder=True)``)
    boundary: Path | None = None

    @classmethod
    def open(
        cls, root: Path = Path("."), presets_dir: Path | None = None, *, own_folder: bool = False
    ) -> Project:
        """Read ``cloudinary-presets.yaml`` (if any) under ``root``.

        The presets folder must be inside ``root`` (symbolic links followed), unless
        ``own_folder``: then a ``presets_dir`` outside the root is its own boundary
        (``presets validate PATH`` reads the tree the person named, and nothing else).
        """
        loaded = load_config(root)
        folder = presets_dir or loaded.presets_dir
        boundary = root
        if own_folder and presets_dir is not None and not is_inside(presets_dir, root):
            boundary = presets_dir if presets_dir.is_dir() else presets_dir.parent
        return cls(root, loaded, folder, boundary)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def has_config(self) -> bool:
        return self.loaded.document is not None

    def environment(self, name: str | None) -> EnvironmentSpec:
        return environment_spec(self.loaded, name)

    def environments(self) -> list[str]:
        return sorted(self.loaded.config.environments)

    def names(self) -> list[str]:
        """The ``name`` of every readable preset file, valid or not (for completion)."""
        documents, _, _ = read_documents(self.presets_dir, self.boundary or self.root)
        return sorted(
            doc.data["name"]
            for doc in documents
            if isinstance(doc.data, dict) and isinstance(doc.data.get("name"), str)
        )

    def report(
        self, spec: EnvironmentSpec, environ: Mapping[str, str], *, strict: bool = False
    ) -> Report:
        """Read, resolve for ``spec``, validate and lint every definition."""
        documents, problems, files = read_documents(self.presets_dir, self.boundary or self.root)
        resolved, env_problems = resolve_documents(documents, spec, self.loaded, environ)
        report = check_documents(
            resolved,
            extra_categories=self.loaded.config.moderation.extra_categories,
            strict=strict,
            errors=[*self.loaded.warnings, *problems, *env_problems],
            files=files,
        )
        names = [(d.name, d.location(("name",))) for d in report.presets]
        report.problems.extend(remote_name_problems(spec, names))
        return report

    def desired(self, spec: EnvironmentSpec, environ: Mapping[str, str]) -> list[Desired]:
        """The definitions for ``spec`` as desired remote presets; raises on any error."""
        report = self.report(spec, environ)
        if report.errors:
            raise DefinitionError(
                report.problems,
                f"{len(report.errors)} problem(s) in {shown(self.presets_dir)}; nothing was "
                "read from or written to Cloudinary",
            )
        out = []
        for definition in report.presets:
            loc = definition.location(("name",))
            out.append(
                Desired(
                    definition.name,
                    remote_name(spec, definition.name),
                    definition.preset,
                    loc.file,
                    loc.line,
                )
            )
        return out

    def defined_names(self, spec: EnvironmentSpec) -> dict[str, str]:
        """Remote name -> the file that defines it, for every file that names a preset,
        valid or not: what must never get a second file. A file too broken to parse is
        searched for a top-level ``name:`` line."""
        if not self.presets_dir.exists():
            return {}
        documents, _, _ = read_documents(self.presets_dir, self.boundary or self.root)
        found: dict[str, str] = {}
        parsed = set()
        for doc in documents:
            parsed.add(doc.file)
            name = doc.data.get("name") if isinstance(doc.data, dict) else None
            if isinstance(name, str) and name:
                found.setdefault(remote_name(spec, name), doc.file)
        for path in find_files(self.presets_dir):
            where = shown(path)
            if where in parsed:
                continue
            try:  # a regular file under the size cap only: never a FIFO, never a huge file
                text = read_bytes(path, limit=MAX_BYTES).decode("utf-8", errors="replace")
            except FileError:
                continue
            match = _NAME_LINE.search(text)
            if match:
                found.setdefault(remote_name(spec, match.group(2).strip()), where)
        return found
