"""Plan a pull request without credentials: definitions at a git revision vs the work tree.

Pull requests from forks get no secrets in CI, yet reviewers still deserve a semantic
diff (thresholds per category, security flags), not a YAML text diff. The definitions
at ``REV`` stand in for the remote: every difference is rendered exactly like a plan.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from cloudinary_presets.cloudinary.remote import RemotePreset, Snapshot
from cloudinary_presets.definitions.environments import EnvironmentSpec, resolve_documents
from cloudinary_presets.definitions.loader import SUFFIXES, check_documents
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.definitions.strict_yaml import Document, decode, parse
from cloudinary_presets.errors import DefinitionError, PresetsError, UsageError
from cloudinary_presets.files import printable
from cloudinary_presets.planning.plan import Plan, TargetInfo, build_plan
from cloudinary_presets.planning.safety import judge


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"git {' '.join(args[:2])} failed: {message[-1] if message else done.returncode}"
        )
    return done.stdout


def documents_at(project: Project, revision: str) -> list[Document]:
    """Parse every preset file as it was at ``revision`` (files are named ``REV:path``)."""
    top = Path(os.fsdecode(_git(project.root, "rev-parse", "--show-toplevel").strip()))
    folder = project.presets_dir.resolve().relative_to(top.resolve())
    try:
        _git(project.root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except UsageError:
        raise UsageError(
            f"unknown git revision {revision!r}",
            hint="fetch it first (actions/checkout with fetch-depth: 0), e.g. --base origin/main",
        ) from None
    listing = _git(top, "ls-tree", "-r", "--name-only", "-z", revision, "--", str(folder) or ".")
    documents = []
    names = os.fsdecode(listing).split("\0")  # a name that is not UTF-8 is escaped, not fatal
    for name in sorted(n for n in names if n.endswith(SUFFIXES)):
        if any(part.startswith(".") for part in Path(name).parts):
            continue
        shown = printable(f"{revision}:{name}")
        data = _git(top, "show", f"{revision}:{name}")
        documents.append(parse(decode(data, shown), shown))
    return documents


def plan_against_revision(
    project: Project, spec: EnvironmentSpec, environ: Mapping[str, str], revision: str
) -> Plan:
    """The plan that turns the definitions at ``revision`` into the work tree's."""
    desired = project.desired(spec, environ)
    try:
        documents = documents_at(project, revision)
    except DefinitionError as exc:
        raise PresetsError(f"the definitions at {revision} cannot be read:\n{exc}") from None
    resolved, problems = resolve_documents(documents, spec, project.loaded, environ)
    report = check_documents(
        resolved,
        extra_categories=project.loaded.config.moderation.extra_categories,
        errors=problems,
    )
    base = {}
    protected = []
    for definition in report.presets:
        name = f"{spec.name_prefix}{definition.name}"
        base[name] = RemotePreset(name, definition.preset, definition.preset.fingerprint())
        if definition.preset.protect:
            protected.append(name)
    warnings = tuple(f"at {revision}: {p.render()}" for p in report.errors)
    target = TargetInfo(
        f"definitions at {revision} (no credentials used)",
        "(git)",
        "(git)",
        "",
        spec.name,
        git_revision=revision,
    )
    plan = build_plan(desired, Snapshot(base), target, prune=True)
    # a preset protected at the base revision may not disappear in the work tree
    protect = [*project.loaded.config.protect, *protected]
    reasons = judge(plan, spec.safety, protect=protect, empty_definitions=not desired)
    return replace(plan, warnings=plan.warnings + warnings, safety=reasons)
