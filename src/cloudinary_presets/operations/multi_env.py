"""Plan one environment, or every environment of a project in one run (``--all-envs``).

Each environment is planned on its own: one that cannot be planned (credentials missing,
target unreachable) is recorded with its error and the others are still planned, so a
review sees all of them. The combined exit decision lives here, beside the results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudinary_presets.definitions.environments import EnvironmentSpec
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REFUSED,
    PresetsError,
)
from cloudinary_presets.operations.simulate import Sample
from cloudinary_presets.operations.target import Target, open_target
from cloudinary_presets.operations.workflow import make_plan, plan_impact
from cloudinary_presets.planning.gitbase import plan_against_revision
from cloudinary_presets.planning.plan import Plan

#: opens the target an environment's plan reads (the CLI's also says which one it is)
Connect = Callable[[EnvironmentSpec], Target]


@dataclass(frozen=True)
class EnvironmentPlan:
    """One environment's outcome: its plan, or the error that stopped it."""

    name: str
    plan: Plan | None = None
    error: PresetsError | None = None


@dataclass(frozen=True)
class EnvironmentPlans:
    """The outcomes of a run, in the order the environments were planned."""

    outcomes: tuple[EnvironmentPlan, ...]

    @property
    def plans(self) -> dict[str, Plan]:
        """The environments that could be planned, by name."""
        return {o.name: o.plan for o in self.outcomes if o.plan is not None}

    @property
    def failed(self) -> list[EnvironmentPlan]:
        return [o for o in self.outcomes if o.error is not None]

    @property
    def has_changes(self) -> bool:
        return any(plan.has_changes for plan in self.plans.values())

    def refused(self, *, force: bool = False) -> dict[str, Plan]:
        """The plans ``apply`` would refuse (quota aside; ``force`` as apply's ``--force``)."""
        return {
            name: plan
            for name, plan in self.plans.items()
            if plan.refusals(force=force, at_plan=True)
        }

    def exit_code(self, *, detailed: bool = False, force: bool = False) -> int:
        """1 if any environment failed; else 3 if apply would refuse a plan (unless
        ``force``); else 2 for changes with ``detailed``; else 0."""
        if self.failed:
            return EXIT_ERROR
        if self.refused(force=force):
            return EXIT_REFUSED
        return EXIT_CHANGES if detailed and self.has_changes else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: each planned environment's plan, by name."""
        return {"environments": {name: plan.to_dict() for name, plan in self.plans.items()}}


def target_opener(project: Project, environ: Mapping[str, str]) -> Connect:
    """Each environment's own target: its credentials, else CLOUDINARY_URL, else the emulator."""

    def connect(spec: EnvironmentSpec) -> Target:
        return open_target(
            root=project.root,
            environ=environ,
            home=Path.home(),
            environment=spec.name,
            env_credentials=spec.credentials,
            env_emulator=spec.emulator,
        )

    return connect


def plan_environment(
    project: Project,
    spec: EnvironmentSpec,
    environ: Mapping[str, str],
    *,
    connect: Connect | None = None,
    only: Sequence[str] = (),
    prune: bool | None = None,
    samples: Sequence[Sample] | None = None,
    base_rev: str | None = None,
) -> Plan:
    """One environment's plan: against its target, or (``base_rev``) against git REV.

    With ``samples`` every moderation change carries its impact on them. The target is
    closed before this returns; against a revision no target is opened at all.
    """
    if base_rev is not None:
        return plan_against_revision(project, spec, environ, base_rev)
    target = (connect or target_opener(project, environ))(spec)
    try:
        planned = make_plan(project, spec, target, environ, only=only, prune=prune)
    finally:
        target.close()
    return plan_impact(planned, samples) if samples else planned.plan


def plan_environments(
    project: Project,
    environ: Mapping[str, str],
    *,
    names: Sequence[str] | None = None,
    connect: Connect | None = None,
    only: Sequence[str] = (),
    prune: bool | None = None,
    samples: Sequence[Sample] | None = None,
    base_rev: str | None = None,
    on_start: Callable[[str], None] = lambda name: None,
    on_result: Callable[[EnvironmentPlan], None] = lambda outcome: None,
) -> EnvironmentPlans:
    """Plan ``names`` (default: every environment of the configuration), one at a time.

    ``on_start`` and ``on_result`` are called around each environment, so a caller can
    show each plan as soon as it is ready.
    """
    outcomes = []
    for name in project.environments() if names is None else names:
        on_start(name)
        try:
            plan = plan_environment(
                project,
                project.environment(name),
                environ,
                connect=connect,
                only=only,
                prune=prune,
                samples=samples,
                base_rev=base_rev,
            )
        except PresetsError as exc:
            outcome = EnvironmentPlan(name, error=exc)
        else:
            outcome = EnvironmentPlan(name, plan=plan)
        outcomes.append(outcome)
        on_result(outcome)
    return EnvironmentPlans(tuple(outcomes))
