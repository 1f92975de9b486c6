"""Resolve a preset by the name in its file, for one environment (no network)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cloudinary_presets.definitions.environments import EnvironmentSpec
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.errors import UnknownPreset
from cloudinary_presets.model.preset import Preset
from cloudinary_presets.model.wording import suggest


@dataclass(frozen=True)
class ResolvedPreset:
    """A definition resolved for one environment: what applications upload with."""

    name: str
    remote_name: str
    preset: Preset
    file: str

    @property
    def unsigned(self) -> bool:
        return self.preset.unsigned

    def summary(self) -> str:
        s = self.preset.settings
        parts = [
            f"{'unsigned' if self.unsigned else 'signed'} preset {self.remote_name!r} ({self.file})"
        ]
        if self.preset.description:
            parts.append(f"  {self.preset.description}")
        if s.folder or s.asset_folder:
            parts.append(f"  folder: {s.asset_folder or s.folder}")
        if s.allowed_formats:
            parts.append(f"  allowed formats: {', '.join(s.allowed_formats)}")
        if s.tags:
            parts.append(f"  tags: {', '.join(s.tags)}")
        if s.moderation:
            parts.append(f"  moderation: {s.moderation}")
        if s.transformation:
            parts.append(f"  incoming transformation: {s.transformation}")
        return "\n".join(parts)


def definitions(
    project: Project, spec: EnvironmentSpec, environ: Mapping[str, str]
) -> dict[str, ResolvedPreset]:
    """Every definition for ``spec``, by the name in its file."""
    return {
        d.name: ResolvedPreset(d.name, d.remote_name, d.preset, f"{d.file}:{d.line}")
        for d in project.desired(spec, environ)
    }


def resolve_in(found: Mapping[str, ResolvedPreset], name: str, project: Project) -> ResolvedPreset:
    """Look ``name`` up by file name, then by remote name; suggest close names otherwise."""
    hit = found.get(name) or {r.remote_name: r for r in found.values()}.get(name)
    if hit is None:
        known = sorted(found)
        raise UnknownPreset(
            f"no preset named {name!r} is defined in {project.presets_dir}"
            f"{suggest(name, known)}; defined: {', '.join(known) or '(none)'}"
        )
    return hit


def resolve_preset(
    project: Project, spec: EnvironmentSpec, environ: Mapping[str, str], name: str
) -> ResolvedPreset:
    return resolve_in(definitions(project, spec, environ), name, project)
