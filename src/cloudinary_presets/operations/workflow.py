"""The product's main jobs, one function each: plan, apply, apply a saved plan, import.

Each function is what one CLI command calls; decisions that need a person (confirming
an apply) come in as callbacks, so the library never prompts or prints.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cloudinary_presets.cloudinary.remote import RemotePresets, Snapshot
from cloudinary_presets.definitions.environments import EnvironmentSpec
from cloudinary_presets.definitions.loader import gc_paused
from cloudinary_presets.definitions.project import Desired, Project
from cloudinary_presets.definitions.resolve import (
    ResolvedPreset,
    definitions,
    resolve_in,
    resolve_preset,
)
from cloudinary_presets.definitions.yaml_writer import dump_preset, dump_yaml, preset_data
from cloudinary_presets.errors import (
    FileError,
    NotFound,
    PlanAlteredError,
    PresetsError,
    RefusedError,
    StalePlanError,
    UsageError,
)
from cloudinary_presets.files import make_dirs, shown, write_atomic
from cloudinary_presets.model.names import NAME_RULE, is_valid_name, matches
from cloudinary_presets.model.sensitive import contains_sensitive
from cloudinary_presets.model.wording import suggest
from cloudinary_presets.operations.apply import ApplyReport, Event, apply_plan
from cloudinary_presets.operations.interruption import Interruption
from cloudinary_presets.operations.lock import apply_lock
from cloudinary_presets.operations.simulate import Impact, Sample, compare, rekognition_kind
from cloudinary_presets.operations.target import Target, same_target
from cloudinary_presets.planning.integrity import check_seal, differences
from cloudinary_presets.planning.plan import Plan, build_plan
from cloudinary_presets.planning.safety import judge, refusal


@dataclass
class Planned:
    """A plan with what applying it needs: the remote handle and what it was read from."""

    plan: Plan
    remote: RemotePresets
    snapshot: Snapshot
    spec: EnvironmentSpec
    definitions: int


def make_plan(
    project: Project,
    spec: EnvironmentSpec,
    target: Target,
    environ: Mapping[str, str],
    *,
    only: Sequence[str] = (),
    prune: bool | None = None,
) -> Planned:
    """Validate the definitions (no network if they are invalid), read the remote, diff,
    and judge the plan's safety (the reasons ``apply`` would refuse it).

    The cyclic garbage collector is paused throughout: the definitions, the listing and
    the plan are thousands of long-lived objects and no garbage cycles, and its
    collections walked all of them again and again (about 15 % of a plan's CPU time).
    """
    with gc_paused():
        desired = project.desired(spec, environ)
        remote = RemotePresets(target.transport())
        config = project.loaded.config
        snapshot = remote.snapshot(config.ignore)
        plan = build_plan(
            desired,
            snapshot,
            target.info,
            prune=spec.prune if prune is None else prune,
            ignore=config.ignore,
            only=only,
            owns=spec.owns,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        protect = [*config.protect, *(d.remote_name for d in desired if d.preset.protect)]
        reasons = judge(plan, spec.safety, protect=protect, empty_definitions=not desired)
        plan = replace(plan, safety=reasons, seal_key=target.credentials.plan_seal_key())
    return Planned(plan, remote, snapshot, spec, len(desired))


def plan_impact(planned: Planned, samples: Sequence[Sample]) -> Plan:
    """The plan with a moderation impact summary for every change that touches moderation."""
    impact: dict[str, Any] = {}
    for change in planned.plan.writes:
        if change.after is None or not change.touches("settings.moderation"):
            continue  # a delete, or moderation untouched
        before = change.before.settings.moderation if change.before else None
        after = change.after.settings.moderation
        kind = rekognition_kind(after, before)
        impact[change.remote_name] = compare(before, after, samples, kind=kind).to_dict()
    return replace(planned.plan, impact=impact)


def _refuse_unsafe(plan: Plan, *, force: bool) -> None:
    """Raise the safety refusal that stands for ``plan`` (``--force`` overrides most)."""
    error = refusal(plan.refusals(force=force))
    if error is not None:
        raise error


def _execute(
    planned: Planned,
    project: Project,
    *,
    parallelism: int,
    continue_on_error: bool,
    on_event: Callable[[Event], None],
    interruption: Interruption | None = None,
) -> ApplyReport:
    return apply_plan(
        planned.plan,
        planned.remote,
        parallelism=parallelism,
        continue_on_error=continue_on_error,
        ignore=project.loaded.config.ignore,
        on_event=on_event,
        interruption=interruption,
    )


def apply_interactive(
    project: Project,
    spec: EnvironmentSpec,
    target: Target,
    environ: Mapping[str, str],
    *,
    confirm: Callable[[Plan], bool],
    show: Callable[[Plan], None] = lambda plan: None,
    only: Sequence[str] = (),
    prune: bool | None = None,
    force: bool = False,
    parallelism: int = 4,
    continue_on_error: bool = False,
    lock_timeout: float = 0.0,
    on_event: Callable[[Event], None] = lambda e: None,
    interruption: Interruption | None = None,
) -> tuple[Plan, ApplyReport | None]:
    """Plan, ``show`` it, check safety, ``confirm``, then apply, under the checkout's lock.

    The plan is shown before a safety check can refuse it, so a person sees what was
    refused. Returns the plan and the report (``None`` when there was nothing to do or
    the person declined). ``interruption`` receives the caller's Ctrl-C presses during
    the writes (see :mod:`~cloudinary_presets.operations.interruption`).
    """
    with apply_lock(project.state_dir, timeout=lock_timeout):
        planned = make_plan(project, spec, target, environ, only=only, prune=prune)
        show(planned.plan)
        _refuse_unsafe(planned.plan, force=force)
        if not planned.plan.has_changes or not confirm(planned.plan):
            return planned.plan, None
        return planned.plan, _execute(
            planned,
            project,
            parallelism=parallelism,
            continue_on_error=continue_on_error,
            on_event=on_event,
            interruption=interruption,
        )


def apply_saved(
    saved: Plan,
    project: Project,
    spec: EnvironmentSpec,
    target: Target,
    environ: Mapping[str, str],
    *,
    confirm: Callable[[Plan], bool] = lambda plan: True,
    show: Callable[[Plan], None] = lambda plan: None,
    force: bool = False,
    parallelism: int = 4,
    continue_on_error: bool = False,
    lock_timeout: float = 0.0,
    on_event: Callable[[Event], None] = lambda e: None,
    interruption: Interruption | None = None,
) -> tuple[Plan, ApplyReport | None]:
    """Apply exactly a reviewed plan, or nothing.

    The plan is made again from the current definitions and remote with the options the
    saved plan records; unless the target is the same and that plan equals the saved one
    in every change and field, nothing is written and the differences are named (exit 3).
    Then, as for any apply: ``show``, the safety checks, ``confirm``, the writes.
    """
    mismatch = same_target(saved.target, target.info)
    if mismatch:
        raise StalePlanError(
            f"the plan was made for {saved.target.description}; the target now is "
            f"{target.info.description} ({'; '.join(mismatch)})",
            hint="run the apply against the plan's target (same --env/--url), or re-plan",
        )
    unsealed = check_seal(saved, target.credentials.plan_seal_key())
    if unsealed:
        raise PlanAlteredError(
            f"{unsealed}; nothing was written",
            hint="make a new plan with `presets plan --out PLAN`, review it, and apply that",
        )
    with apply_lock(project.state_dir, timeout=lock_timeout):
        planned = make_plan(project, spec, target, environ, only=saved.only, prune=saved.prune)
        reasons = differences(saved, planned.plan, planned.snapshot)
        if reasons:
            raise StalePlanError(
                "plan is stale; nothing was written:\n  " + "\n  ".join(reasons),
                hint="run `presets plan --out PLAN` again and review the new plan",
            )
        if not planned.plan.has_changes:
            return planned.plan, None
        show(planned.plan)
        _refuse_unsafe(planned.plan, force=force)
        if not confirm(planned.plan):
            return planned.plan, None
        return planned.plan, _execute(
            planned,
            project,
            parallelism=parallelism,
            continue_on_error=continue_on_error,
            on_event=on_event,
            interruption=interruption,
        )


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class Imported:
    name: str
    remote_name: str
    path: Path


def import_presets(
    project: Project,
    spec: EnvironmentSpec,
    target: Target,
    environ: Mapping[str, str],
    *,
    names: Sequence[str] = (),
    everything: bool = False,
    force: bool = False,
) -> list[Imported]:
    """Write one canonical YAML file per remote preset into the presets folder."""
    if not names and not everything:
        raise UsageError("name the presets to import, or pass --all")
    remote = RemotePresets(target.transport())
    snapshot = remote.snapshot(project.loaded.config.ignore)
    # another environment's presets (by name prefix) are not this one's to adopt
    available = sorted(n for n in snapshot.presets if spec.owns(n))
    chosen = available if everything else []
    for name in names:
        hits = [n for n in available if matches(n, [name])]
        if not hits:
            theirs = [n for n in snapshot.presets if matches(n, [name])]
            raise UsageError(
                f"no remote preset named {name!r}"
                + (
                    f" in this environment's scope ({_scope_rule(spec, theirs[0])})"
                    if theirs
                    else suggest(name, available)
                )
            )
        chosen.extend(h for h in hits if h not in chosen)
    existing = {d.remote_name: d for d in _existing(project, spec, environ)}
    make_dirs(project.presets_dir, doing="create the presets folder")
    planned_writes: list[tuple[Imported, str]] = []
    problems = []
    for remote_name in chosen:
        name = remote_name
        if spec.name_prefix:
            if not remote_name.startswith(spec.name_prefix):
                problems.append(
                    f"{remote_name}: does not start with this environment's prefix "
                    f"{spec.name_prefix!r}"
                )
                continue
            name = remote_name[len(spec.name_prefix) :]
        if not is_valid_name(name):  # a file name too: never "../x" or "a/b"
            problems.append(
                f"{remote_name}: {name!r} cannot be a definition's name ({NAME_RULE}); list it "
                "in `ignore`, or import the others by name"
            )
            continue
        defined = existing.get(remote_name)
        # --force replaces the file that defines the preset: a second file would duplicate it
        path = Path(defined.file) if defined is not None else project.presets_dir / _file_name(name)
        if defined is not None and not force:
            problems.append(
                f"{remote_name}: already defined in {defined.file} (use --force to overwrite)"
            )
            continue
        if os.path.lexists(path) and not force:
            problems.append(f"{remote_name}: {path} exists (use --force to overwrite)")
            continue
        preset = snapshot.presets[remote_name].preset.model_copy(update={"name": name})
        schema = _schema_path(project, path)
        text = dump_preset(preset, schema=schema, header=f"imported from {target.info.description}")
        if contains_sensitive(text):  # a file in git must never hold a secret
            problems.append(
                f"{remote_name}: a remote value contains the API secret of configured "
                "credentials; remove it in Cloudinary, then import"
            )
            continue
        planned_writes.append((Imported(name, remote_name, path), text))
    if problems:
        raise RefusedError("import refused; nothing was written:\n  " + "\n  ".join(problems))
    written: list[Imported] = []
    for imported, text in planned_writes:
        try:
            make_dirs(imported.path.parent)
            write_atomic(imported.path, text)
        except FileError as exc:
            done = ", ".join(shown(i.path) for i in written) or "none"
            exc.hint = f"{exc.hint}; " if exc.hint else ""
            exc.hint += f"files imported before this one: {done}"
            raise
        written.append(imported)
    return written


def _scope_rule(spec: EnvironmentSpec, remote_name: str) -> str:
    """Why ``remote_name`` is not in ``spec``'s scope, in words."""
    owner = spec.prefix_owner(remote_name)
    if owner is not None:
        return f"{remote_name} carries the name_prefix {owner!r} of another environment"
    return f"{remote_name} does not start with this environment's name_prefix {spec.name_prefix!r}"


def _file_name(name: str) -> str:
    """``<name>.yaml``, shortened with a digest where it would exceed 255 bytes."""
    if len(name) <= 250:
        return f"{name}.yaml"
    return f"{name[:237]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}.yaml"


def _existing(project: Project, spec: EnvironmentSpec, environ: Mapping[str, str]) -> list[Desired]:
    try:
        return project.desired(spec, environ)
    except PresetsError:
        return []


def _schema_path(project: Project, path: Path) -> str:
    schemas = project.root / "schemas" / "preset.schema.json"
    return os.path.relpath(schemas, path.parent).replace(os.sep, "/")


# --------------------------------------------------------------------------- moderation, render


@dataclass(frozen=True)
class Simulation:
    """A preset's definition against its remote copy, decided on labelled samples."""

    preset: ResolvedPreset
    impact: Impact
    remote_exists: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``presets moderation simulate --json``)."""
        return {
            "preset": self.preset.remote_name,
            "remote_exists": self.remote_exists,
            **self.impact.to_dict(),
        }


def simulate_preset(
    project: Project,
    spec: EnvironmentSpec,
    target: Target,
    environ: Mapping[str, str],
    name: str,
    samples: Sequence[Sample],
) -> Simulation:
    """Decide the samples under the definition and under the remote's current moderation."""
    resolved = resolve_preset(project, spec, environ, name)
    remote = RemotePresets(target.transport())
    try:
        before = remote.get(resolved.remote_name).preset.settings.moderation
        exists = True
    except NotFound:
        before, exists = None, False
    after = resolved.preset.settings.moderation
    impact = compare(before, after, samples, kind=rekognition_kind(after, before))
    return Simulation(resolved, impact, exists)


def render_definitions(
    project: Project, spec: EnvironmentSpec, environ: Mapping[str, str], name: str | None = None
) -> str:
    """The fully resolved definitions for ``spec`` as YAML (overrides and variables applied)."""
    found = definitions(project, spec, environ)
    chosen = [resolve_in(found, name, project)] if name else [found[n] for n in sorted(found)]
    env = f"environment {spec.name}" if spec.name else "no environment"
    parts = []
    for item in chosen:
        header = f"# {item.file} ({env}; remote name {item.remote_name})\n"
        parts.append(header + dump_yaml(preset_data(item.preset)))
    return "---\n".join(parts)
