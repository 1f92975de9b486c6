"""``presets plan`` (one environment, or every one with ``--all-envs``) and ``presets show``
(a saved plan)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudinary_presets.cli.completion import complete_plan_file
from cloudinary_presets.cli.options import (
    announce,
    connect,
    format_options,
    open_project,
    scope_options,
    target_options,
)
from cloudinary_presets.cli.output import OUT, github_summary
from cloudinary_presets.files import write_target

if TYPE_CHECKING:
    from cloudinary_presets.definitions.environments import EnvironmentSpec
    from cloudinary_presets.operations.multi_env import EnvironmentPlan, EnvironmentPlans
    from cloudinary_presets.operations.target import Target
    from cloudinary_presets.planning.plan import Plan


_VERBOSE = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="List every unchanged and unmanaged preset, and the default values of created ones.",
)
_NO_PAGER = click.option(
    "--no-pager", is_flag=True, help="Never page a long plan on a terminal (PAGER is the pager)."
)


@click.command()
@target_options
@scope_options
@format_options("text", "markdown", "json", what="the plan")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan (JSON, mode 0600) for `presets apply PLAN`.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error."
)
@click.option(
    "--force",
    is_flag=True,
    help="Do not exit 3 when `apply` would refuse the plan (the reasons are still shown).",
)
@_VERBOSE
@_NO_PAGER
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="JSON lines of moderation labels: show what each moderation change decides differently.",
)
@click.option("--all-envs", is_flag=True, help="Plan every environment of cloudinary-presets.yaml.")
@click.option(
    "--base",
    "base_rev",
    metavar="REV",
    help="No credentials: diff the definitions at git REV against the work tree.",
)
def plan(
    only: tuple[str, ...],
    prune: bool | None,
    fmt: str,
    out_path: Path | None,
    detailed_exitcode: bool,
    force: bool,
    verbose: bool,
    no_pager: bool,
    labels: Path | None,
    all_envs: bool,
    base_rev: str | None,
    **opts: Any,
) -> None:
    """Show what `apply` would change in the target product environment.

    Reads every remote preset with the fewest Admin API calls (pages of 500) and diffs
    them semantically against the definitions. Never writes to Cloudinary. Exits 3 when
    `apply` would refuse the plan (safety thresholds, protected presets) unless --force.
    """
    from cloudinary_presets.operations.multi_env import (
        EnvironmentPlan,
        EnvironmentPlans,
        plan_environment,
        plan_environments,
    )
    from cloudinary_presets.operations.simulate import read_samples

    samples = read_samples(labels) if labels else None
    if all_envs and opts.get("env_name"):
        raise click.UsageError("give either --env or --all-envs")
    if all_envs and out_path:
        raise click.UsageError("--out saves one environment's plan; use --env with --out")
    if out_path is not None:  # refuse /dev/full or a dangling link before any work
        write_target(out_path, doing="write the plan to")
    project = open_project(opts)
    machine_output = fmt != "text"

    def announce_revision() -> None:
        line = f"Target: definitions at {base_rev} vs the work tree (no credentials used)"
        announce(line, machine_output=machine_output)

    def open_target(spec: EnvironmentSpec) -> Target:
        return connect(opts, project, spec, machine_output=machine_output)

    scope: dict[str, Any] = {
        "connect": open_target,
        "only": only,
        "prune": prune,
        "samples": samples,
        "base_rev": base_rev,
    }
    if all_envs:
        if not project.environments():
            raise click.UsageError("--all-envs: cloudinary-presets.yaml defines no environments")

        def start(name: str) -> None:
            if fmt == "text":
                OUT.echo(OUT.style(f"=== environment {name} ===", bold=True))
            if base_rev is not None:
                announce_revision()

        def show(outcome: EnvironmentPlan) -> None:
            if outcome.plan is None:
                OUT.error(f"environment {outcome.name}: {outcome.error}")
            elif fmt != "json":
                title = f"Environment {outcome.name}: "
                OUT.echo(render_plan(outcome.plan, fmt, verbose=verbose, title=title))

        results = plan_environments(project, os.environ, on_start=start, on_result=show, **scope)
        if fmt == "json":
            OUT.echo(json.dumps(results.to_dict(), indent=2))
    else:
        spec = project.environment(opts.get("env_name"))
        if base_rev is not None:
            announce_revision()
        single = plan_environment(project, spec, os.environ, **scope)
        OUT.page(render_plan(single, fmt, verbose=verbose), pager=fmt == "text" and not no_pager)
        results = EnvironmentPlans((EnvironmentPlan(opts.get("env_name") or "", single),))
    _finish(results, out_path, detailed_exitcode, force)


def _finish(results: EnvironmentPlans, out_path: Path | None, detailed: bool, force: bool) -> None:
    """The job summary, the saved plan, the exit status."""
    from cloudinary_presets.planning.planfile import save_plan

    if os.environ.get("GITHUB_STEP_SUMMARY"):
        from cloudinary_presets.renderers.markdown import render_markdown

        for name, result in results.plans.items():
            github_summary(
                render_markdown(result, title=f"Preset plan, environment {name}" if name else "")
            )
    if out_path is not None and results.plans:
        save_plan(next(iter(results.plans.values())), out_path)
        OUT.err(f"saved the plan to {out_path} (apply it with `presets apply {out_path}`)")
    for name, refused in results.refused(force=force).items():
        where = f"environment {name}: " if name else ""
        for reason in refused.refusals(force=force, at_plan=True):
            OUT.error(f"{where}apply would refuse this plan: {reason.message}")
    code = results.exit_code(detailed=detailed, force=force)
    if code:
        raise SystemExit(code)


def render_plan(result: Plan, fmt: str, *, verbose: bool = False, title: str = "") -> str:
    """A plan as text (styled), markdown or JSON."""
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        from cloudinary_presets.renderers.markdown import render_markdown

        return render_markdown(
            result,
            title=f"{title}preset plan for {result.target.description}" if title else "",
            verbose=verbose,
        )
    from cloudinary_presets.renderers.text import render_text

    return render_text(result, style=OUT.style, verbose=verbose)


@click.command()
@click.argument(
    "plan_file", type=click.Path(path_type=Path, dir_okay=False), shell_complete=complete_plan_file
)
@format_options("text", "markdown", "json", what="the plan")
@_VERBOSE
@_NO_PAGER
def show(plan_file: Path, fmt: str, verbose: bool, no_pager: bool) -> None:
    """Render a saved plan (from `presets plan --out`) as text, Markdown or JSON.

    Reads only the file: no credentials, no network, no definitions needed, so a reviewer
    can read what `presets apply PLAN_FILE` would do. Apply still checks that the plan
    fits the remote and the definitions before writing anything.
    """
    from cloudinary_presets.planning.planfile import load_plan

    saved = load_plan(plan_file, to_show=True)
    if fmt == "json":
        OUT.echo(render_plan(saved, fmt))
        return
    made = f"made {saved.created_at} " if saved.created_at else ""
    about = f"Saved plan {plan_file}: {made}by presets {saved.tool_version}"
    if fmt == "markdown":
        rendered = render_plan(saved, fmt, verbose=verbose, title="Saved ")
        OUT.echo(f"<sub>{about}</sub>\n\n{rendered}")
        return
    target = f"Target: {saved.target.description}"
    text = "\n".join([OUT.style(about, bold=True), OUT.style(target, bold=True), ""])
    OUT.page(text + render_plan(saved, fmt, verbose=verbose), pager=not no_pager)
