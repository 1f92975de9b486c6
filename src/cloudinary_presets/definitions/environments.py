"""One set of definitions, many product environments: overrides, variables, name prefixes.

An environment (``environments.<name>`` in cloudinary-presets.yaml) changes definitions
before they are validated:

1. ``overrides.<preset>`` is deep-merged over the preset's file (maps merge, lists
   replace, ``null`` removes a key); merged values keep the location of the override in
   the configuration file, so errors point there;
2. ``${name}`` in any string is replaced by the environment's ``variables.name``, and
   ``${env:NAME}`` by the process environment variable ``NAME``; ``$${`` writes a
   literal ``${``. An undefined variable is an error at its file:line:col;
3. the remote name is ``name_prefix + name``.

The result is ordinary documents, validated exactly like the files themselves.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudinary_presets.definitions.config import LoadedConfig, Safety
from cloudinary_presets.definitions.strict_yaml import Document, KeyPath, Mark
from cloudinary_presets.errors import Location, Problem, UsageError
from cloudinary_presets.model.names import NAME_RULE, is_valid_name
from cloudinary_presets.model.sensitive import MASK, contains_sensitive
from cloudinary_presets.model.wording import shorten, suggest

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class EnvironmentSpec:
    """Everything a command needs to know about the environment it targets."""

    name: str | None = None
    name_prefix: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    credentials: tuple[str, str] | None = None
    emulator: bool = False
    prune: bool = False
    safety: Safety = field(default_factory=Safety)
    #: the ``name_prefix`` of every other environment of the configuration
    other_prefixes: tuple[str, ...] = ()

    def owns(self, remote_name: str) -> bool:
        """True when a remote preset belongs to this environment (is in its scope).

        A name belongs to the environment whose prefix it carries; carrying several
        (``stg_`` and ``stg_eu_``), to the longest. So an environment without a prefix
        owns only names that carry no declared prefix at all.
        """
        carried = [
            p for p in (self.name_prefix, *self.other_prefixes) if p and remote_name.startswith(p)
        ]
        return max(carried, key=len, default="") == self.name_prefix

    def prefix_owner(self, remote_name: str) -> str | None:
        """The other environment's prefix that takes ``remote_name`` away from this one."""
        if self.owns(remote_name):
            return None
        carried = [p for p in self.other_prefixes if remote_name.startswith(p)]
        return max(carried, key=len, default=None)


def environment_spec(loaded: LoadedConfig, name: str | None) -> EnvironmentSpec:
    """The named environment (or the default one, or none) from the configuration."""
    config = loaded.config
    name = name or config.default_environment
    declared = {n: env.name_prefix for n, env in config.environments.items() if env.name_prefix}
    if name is None:
        return EnvironmentSpec(
            prune=config.prune, safety=config.safety, other_prefixes=_unique(declared.values())
        )
    env = config.environments.get(name)
    if env is None:
        known = sorted(config.environments)
        where = ""
        if loaded.document is not None:
            where = f" ({loaded.document.location(('environments',), key=True)})"
        raise UsageError(
            f"unknown environment {name!r}{suggest(name, known)}; defined environments: "
            f"{', '.join(known) or '(none)'}{where}",
            hint="add it under `environments:` in cloudinary-presets.yaml, or fix --env",
        )
    return EnvironmentSpec(
        name=name,
        name_prefix=env.name_prefix,
        variables=dict(env.variables),
        overrides={k: dict(v) for k, v in env.overrides.items()},
        credentials=env.credentials.source() if env.credentials else None,
        emulator=env.emulator,
        prune=config.prune if env.prune is None else env.prune,
        safety=env.safety or config.safety,
        other_prefixes=_unique(p for n, p in declared.items() if n != name),
    )


def _unique(prefixes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(prefixes)))


def _merge(
    base: Any,
    override: Any,
    path: KeyPath,
    marks: dict[KeyPath, Mark],
    source: Document,
    source_path: KeyPath,
) -> Any:
    """Deep-merge ``override`` into ``base``; record the override's marks for merged paths."""
    mark = source.marks.get(source_path)
    if mark is not None:
        marks[path] = Mark(mark.line, mark.column, source.file)
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if value is None:
                merged.pop(key, None)
                continue
            merged[key] = _merge(
                base.get(key), value, (*path, key), marks, source, (*source_path, key)
            )
        return merged
    if isinstance(override, (dict, list)):
        _remark(override, path, marks, source, source_path)
    return copy.deepcopy(override)


def _remark(
    value: Any, path: KeyPath, marks: dict[KeyPath, Mark], source: Document, source_path: KeyPath
) -> None:
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        mark = source.marks.get(source_path + (key,))
        if mark is not None:
            marks[path + (key,)] = Mark(mark.line, mark.column, source.file)
        _remark(item, (*path, key), marks, source, (*source_path, key))


class _Substitution:
    def __init__(self, spec: EnvironmentSpec, environ: Mapping[str, str], doc: Document) -> None:
        self.spec = spec
        self.environ = environ
        self.doc = doc
        self.problems: list[Problem] = []

    def text(self, value: str, path: KeyPath) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            ref = match.group(1).strip()
            if ref.startswith("env:"):
                var = ref[4:]
                if not _ENV_NAME.match(var):
                    return self._fail(
                        path, f"${{{ref}}}: {var!r} is not an environment variable name"
                    )
                if var not in self.environ:
                    return self._fail(path, f"${{{ref}}}: environment variable {var} is not set")
                return self.environ[var]
            if not _NAME.match(ref):
                return self._fail(
                    path,
                    f"${{{ref}}} is not a variable reference (use ${{name}} or ${{env:NAME}}; "
                    f"$${{ for a literal)",
                )
            if ref not in self.spec.variables:
                env = f"environment '{self.spec.name}'" if self.spec.name else "no environment"
                known = sorted(self.spec.variables)
                return self._fail(
                    path,
                    f"undefined variable ${{{ref}}} in {env}{suggest(ref, known)}; "
                    f"define it under environments.<name>.variables",
                )
            return self.spec.variables[ref]

        expanded = _REFERENCE.sub(replace, value) if "$" in value else value
        if contains_sensitive(expanded):
            return self._secret(value, path)
        return expanded

    def _secret(self, written: str, path: KeyPath) -> str:
        """A value that would carry a known API secret: an error naming the variable,
        never the value, which is replaced so nothing downstream can show it."""
        used = [m.group(1).strip() for m in _REFERENCE.finditer(written) if m.group(1)]
        source = (
            f"{', '.join('${' + u + '}' for u in used)} expands to a value that contains"
            if used
            else "the value contains"
        )
        self._fail(
            path,
            f"{source} the API secret of configured credentials; a secret may never be a "
            "preset setting (plans would show it and Cloudinary would store it)",
        )
        return MASK

    def _fail(self, path: KeyPath, message: str) -> str:
        self.problems.append(Problem(message, self.doc.location(path), _dotted(path)))
        return ""

    def walk(self, value: Any, path: KeyPath) -> Any:
        if isinstance(value, str):
            return self.text(value, path)
        if isinstance(value, dict):
            return {k: self.walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, (*path, i)) for i, v in enumerate(value)]
        return value


def _dotted(path: KeyPath) -> str:
    from cloudinary_presets.definitions.validation import dotted

    return dotted(path)


def resolve_documents(
    documents: list[Document],
    spec: EnvironmentSpec,
    loaded: LoadedConfig,
    environ: Mapping[str, str],
) -> tuple[list[Document], list[Problem]]:
    """Apply the environment's overrides and variables to every document."""
    problems: list[Problem] = []
    # only string names: a malformed `name: []` is the schema's to report, not a crash here
    names = {
        d.data["name"]
        for d in documents
        if isinstance(d.data, dict) and isinstance(d.data.get("name"), str)
    }
    config_doc = loaded.document
    for preset_name in spec.overrides:
        if preset_name not in names:
            where = (
                config_doc.location(
                    ("environments", spec.name or "", "overrides", preset_name), key=True
                )
                if config_doc
                else None
            )
            problems.append(
                Problem(
                    f"override for unknown preset {preset_name!r}"
                    + suggest(preset_name, sorted(n for n in names if isinstance(n, str))),
                    where,
                    f"environments.{spec.name}.overrides.{preset_name}",
                )
            )
    resolved = []
    for doc in documents:
        if not isinstance(doc.data, dict):
            resolved.append(doc)
            continue
        data = doc.data
        marks = dict(doc.marks)
        override = spec.overrides.get(str(data.get("name")))
        if override is not None and config_doc is not None:
            source_path: KeyPath = ("environments", spec.name or "", "overrides", str(data["name"]))
            data = _merge(data, override, (), marks, config_doc, source_path)
            marks[()] = doc.marks.get((), Mark(1, 1))
        new_doc = Document(doc.file, data, marks, dict(doc.key_marks))
        substitution = _Substitution(spec, environ, new_doc)
        new_doc.data = substitution.walk(data, ())
        problems.extend(substitution.problems)
        resolved.append(new_doc)
    return resolved, problems


def remote_name(spec: EnvironmentSpec, name: str) -> str:
    return f"{spec.name_prefix}{name}"


def remote_name_problems(
    spec: EnvironmentSpec, names: Iterable[tuple[str, Location | None]]
) -> list[Problem]:
    """What is wrong with the remote names (prefix + name) of ``names`` in ``spec``.

    Checked per environment, because only the prefix makes a name too long or puts it in
    another environment's scope (where that environment would see it as its own preset,
    and could prune it).
    """
    problems = []
    for name, location in names:
        remote = remote_name(spec, name)
        if len(remote) > 255 or not is_valid_name(remote):
            problems.append(
                Problem(
                    f"remote name {shorten(remote)} (name_prefix {spec.name_prefix!r} + name) "
                    f"is not {NAME_RULE}",
                    location,
                    "name",
                )
            )
        owner = spec.prefix_owner(remote)
        if owner is not None:
            where = f"environment {spec.name!r}" if spec.name else "no environment"
            problems.append(
                Problem(
                    f"remote name {remote!r} in {where} carries the name_prefix {owner!r} of "
                    "another environment, which would take it for its own (and could prune "
                    "it); rename the preset",
                    location,
                    "name",
                )
            )
    return problems
