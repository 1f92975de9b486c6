"""Project configuration: ``cloudinary-presets.yaml`` at the repository root (optional).

Read with the same strict YAML reader and located errors as preset files; the schema
``schemas/config.schema.json`` is generated from :class:`ProjectConfig`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from cloudinary_presets.definitions.strict_yaml import MAX_BYTES, Document, decode, parse
from cloudinary_presets.definitions.validation import problems_from
from cloudinary_presets.errors import DefinitionError, FileError, Location, Problem
from cloudinary_presets.files import inside, printable, read_bytes
from cloudinary_presets.model.fields import StrictModel

CONFIG_FILE = "cloudinary-presets.yaml"
_IDENT = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
_ENV_VAR = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Safety(StrictModel):
    """octoDNS-style thresholds: with enough managed presets, refuse sweeping changes."""

    max_update_percent: float = Field(
        30.0,
        ge=0,
        le=100,
        description="Refuse plans that update more than this share of managed presets (unless "
        "--force).",
    )
    max_delete_percent: float = Field(
        30.0,
        ge=0,
        le=100,
        description="Refuse plans that delete more than this share of managed presets (unless "
        "--force).",
    )
    min_existing: int = Field(
        10,
        ge=0,
        description="Thresholds apply only when at least this many managed presets exist remotely.",
    )


class ModerationConfig(StrictModel):
    extra_categories: list[str] = Field(
        default_factory=list,
        description="Rekognition category names to accept beyond the built-in taxonomy (newer AWS "
        "labels).",
    )


class EnvCredentials(StrictModel):
    """Where an environment's credentials come from: never the credentials themselves."""

    env: str | None = Field(
        None,
        pattern=_ENV_VAR,
        description="Name of an environment variable holding a CLOUDINARY_URL.",
    )
    profile: str | None = Field(
        None,
        min_length=1,
        description="Name of a cloudinary-cli saved configuration (cld config -n NAME ...).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> EnvCredentials:
        if (self.env is None) == (self.profile is None):
            raise ValueError("give exactly one of `env` or `profile`")
        return self

    def source(self) -> tuple[str, str]:
        return ("env", self.env) if self.env else ("profile", self.profile or "")


class Environment(StrictModel):
    """One Cloudinary product environment that the definitions are applied to."""

    credentials: EnvCredentials | None = Field(
        None, description="Where to read this environment's CLOUDINARY_URL."
    )
    emulator: bool = Field(
        False,
        description="Use the embedded local emulator for this environment (demos, CI without "
        "secrets).",
    )
    name_prefix: str = Field(
        "",
        pattern=r"^[A-Za-z0-9_-]{0,64}$",
        description="Prefix added to every preset name in this environment (remote name = prefix "
        "+ name).",
    )
    variables: dict[str, str] = Field(
        default_factory=dict, description="Values for ${name} references in definitions."
    )
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-preset values deep-merged over the definitions (maps merge, lists "
        "replace).",
    )
    prune: bool | None = Field(
        None, description="Override the project's prune setting for this environment."
    )
    safety: Safety | None = Field(
        None, description="Override the project's safety thresholds for this environment."
    )

    @model_validator(mode="after")
    def _variable_names(self) -> Environment:
        for name in self.variables:
            if not re.match(_IDENT, name):
                raise ValueError(f"variable name {name!r} must match {_IDENT}")
        return self


class ProjectConfig(StrictModel):
    """The whole of cloudinary-presets.yaml."""

    presets_dir: str = Field(
        "presets",
        min_length=1,
        description="Folder holding the preset files, relative to this file.",
    )
    default_environment: str | None = Field(
        None, description="Environment used when --env is not given."
    )
    prune: bool = Field(
        False,
        description="Delete remote presets that no file defines (unmanaged presets are only "
        "listed otherwise).",
    )
    ignore: list[str] = Field(
        default_factory=list,
        description="Globs of remote preset names that are never read into a plan or touched "
        "(e.g. ml_default).",
    )
    protect: list[str] = Field(
        default_factory=list,
        description="Globs of remote preset names that no plan may delete, even with --prune "
        "(a plan that would is an error).",
    )
    safety: Safety = Field(default_factory=Safety, description="Safety thresholds for apply.")
    moderation: ModerationConfig = Field(
        default_factory=ModerationConfig, description="Moderation validation settings."
    )
    environments: dict[str, Environment] = Field(
        default_factory=dict, description="Named Cloudinary product environments."
    )

    @model_validator(mode="after")
    def _default_exists(self) -> ProjectConfig:
        if self.default_environment and self.default_environment not in self.environments:
            raise ValueError(
                f"default_environment {self.default_environment!r} is not one of the "
                f"environments: {', '.join(sorted(self.environments)) or '(none)'}"
            )
        return self


class LoadedConfig:
    """A validated configuration and the document it came from (for override locations).

    ``warnings``: files near the configuration that are not read (``.yml`` beside it).
    """

    def __init__(
        self,
        config: ProjectConfig,
        document: Document | None,
        root: Path,
        warnings: list[Problem] | None = None,
    ) -> None:
        self.config = config
        self.document = document
        self.root = root
        self.warnings = warnings or []

    @property
    def presets_dir(self) -> Path:
        return self.root / self.config.presets_dir


#: names people give the configuration that are not its name (compared in lower case)
_NEAR_MISSES = frozenset(
    f"{dot}{stem}{suffix}"
    for dot in ("", ".")
    for stem in ("cloudinary-presets", "cloudinary_presets")
    for suffix in (".yaml", ".yml")
)


def _config_files(root: Path) -> tuple[bool, list[str]]:
    """Whether the configuration file is there (even as a dangling link), and near misses.

    The folder listing decides, so ``Cloudinary-Presets.yaml`` is a near miss on every
    system, not the configuration on a case-insensitive one only.
    """
    try:
        names = os.listdir(root)
    except OSError:
        return os.path.lexists(root / CONFIG_FILE), []
    near = sorted(n for n in names if n != CONFIG_FILE and n.lower() in _NEAR_MISSES)
    return CONFIG_FILE in names, near


def _not_read(root: Path, names: list[str], *, severity: str) -> list[Problem]:
    return [
        Problem(
            f"not read: the configuration file is named {CONFIG_FILE}; "
            + (
                "rename this file (until then its settings, protect and safety among them, "
                "do not apply)"
                if severity == "error"
                else "merge this file into it, or delete it"
            ),
            Location(printable(str(root / name)) if root != Path(".") else printable(name)),
            severity=severity,
        )
        for name in names
    ]


def load_config(root: Path = Path(".")) -> LoadedConfig:
    """Read ``cloudinary-presets.yaml`` under ``root`` if present; defaults otherwise.

    A near miss (``cloudinary-presets.yml``) is an error when it stands alone (its
    settings would silently not apply) and a warning beside the real file.
    """
    path = root / CONFIG_FILE
    present, near = _config_files(root)
    if not present:
        if near:
            raise DefinitionError(
                _not_read(root, near, severity="error"), "the configuration is not read"
            )
        return LoadedConfig(ProjectConfig(), None, root)
    shown = printable(str(path)) if root != Path(".") else CONFIG_FILE
    try:
        inside(path, root, hint="keep the configuration in the project")
        raw = read_bytes(path, limit=MAX_BYTES)
    except FileError as exc:
        raise DefinitionError(
            [Problem(f"{exc.lead} the file: {exc.reason}", Location(shown))]
        ) from None
    doc = parse(decode(raw, shown), shown)
    warnings = _not_read(root, near, severity="warning")
    if doc.data is None:
        return LoadedConfig(ProjectConfig(), doc, root, warnings)
    if not isinstance(doc.data, dict):
        raise DefinitionError([Problem("the configuration must be a mapping", doc.location(()))])
    try:
        config = ProjectConfig.model_validate(doc.data)
    except ValidationError as exc:
        raise DefinitionError(
            problems_from(exc, doc, ProjectConfig), f"{shown} is invalid"
        ) from None
    return LoadedConfig(config, doc, root, warnings)
