"""Commands that write: ``presets apply`` (with its console) and ``presets import``."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from cloudinary_presets.cli.completion import complete_plan_file
from cloudinary_presets.cli.interrupts import routed_to
from cloudinary_presets.cli.options import Session, scope_options, target_options
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.cli.progress import Progress
from cloudinary_presets.errors import EXIT_ERROR, PresetsError

if TYPE_CHECKING:
    from cloudinary_presets.operations.apply import Event
    from cloudinary_presets.operations.target import Target
    from cloudinary_presets.planning.plan import Plan


class ApplyConsole:
    """How an apply talks to the person: the plan, the question, then progress.

    One line per finished change on stdout; a status line with the count and an ETA on
    stderr when it is a terminal.
    """

    VERBS: ClassVar[dict[str, str]] = {
        "create": "created",
        "update": "updated",
        "delete": "deleted",
    }

    def __init__(self, target: Target, *, yes: bool) -> None:
        self.target = target
        self.yes = yes
        self.total = 0
        self.progress: Progress | None = None

    def show(self, result: Plan) -> None:
        from cloudinary_presets.renderers.text import render_text

        OUT.echo(render_text(result, style=OUT.style))
        self.total = len(result.writes)

    def confirm(self, result: Plan) -> bool:
        if self.yes:
            return True
        if not sys.stdin.isatty():
            raise PresetsError(
                "refusing to apply without confirmation: stdin is not a terminal",
                hint="review the plan, then pass --yes (or apply a saved plan: presets apply PLAN)",
            )
        answer = click.prompt(
            f"\nApply {len(result.writes)} change(s) to {self.target.info.description}? "
            "Only 'yes' is accepted",
            default="",
            show_default=False,
        )
        return bool(answer.strip() == "yes")

    def confirm_saved(self, result: Plan) -> bool:
        """A saved plan was reviewed already: ask only a person at a terminal (unless --yes)."""
        if self.yes or not sys.stdin.isatty():
            return True
        return self.confirm(result)

    def on_event(self, event: Event) -> None:
        change = event.change
        if self.progress is None:
            self.progress = Progress(self.total, "applying")
        if change is None:  # Ctrl-C while writing
            self.progress.clear()
            if event.kind == "stopping":
                OUT.err(
                    f"interrupted: no new writes; waiting for the {event.message} to finish "
                    "(Ctrl-C again to stop waiting)"
                )
            else:
                OUT.err(f"interrupted again: not waiting any longer ({event.message})")
            return
        if event.kind == "start":
            self.progress.working_on(f"{change.action} {change.remote_name}")
            return
        if event.kind == "done":
            line = OUT.style(f"{self.VERBS[change.action]} {change.remote_name}", fg="green")
        else:
            line = OUT.style(
                f"FAILED {change.action} {change.remote_name}: {event.message}", fg="red"
            )
        self.progress.line(line)
        self.progress.advance()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()


@click.command()
@click.argument(
    "plan_file",
    required=False,
    type=click.Path(path_type=Path, dir_okay=False),
    shell_complete=complete_plan_file,
)
@target_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Override the safety thresholds and the quota check.")
@scope_options
@click.option(
    "--parallelism",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Concurrent writes (lowered automatically when the quota runs low).",
)
@click.option(
    "--continue-on-error", is_flag=True, help="Keep applying other changes after a failure."
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for another apply of this checkout.",
)
def apply(
    plan_file: Path | None,
    yes: bool,
    force: bool,
    only: tuple[str, ...],
    prune: bool | None,
    parallelism: int,
    continue_on_error: bool,
    lock_timeout: float,
    **opts: Any,
) -> None:
    """Apply the definitions to the target (or exactly a saved PLAN_FILE).

    Computes and shows the plan, asks for confirmation on a terminal (--yes skips it;
    without a terminal and without --yes it refuses), applies creates and updates before
    deletes, then re-reads the remote to verify what Cloudinary stored. A saved PLAN_FILE
    is applied only if a plan made now is exactly the same (else exit 3, nothing
    written); it is shown, and confirmed on a terminal unless --yes.
    """
    from cloudinary_presets.operations.interruption import Interruption
    from cloudinary_presets.operations.workflow import apply_interactive, apply_saved
    from cloudinary_presets.planning.planfile import load_plan

    if plan_file and (only or prune is not None):
        # silently applying the whole saved plan would do more than the person asked for
        raise click.UsageError(
            "--only and --prune/--no-prune cannot change a saved plan; "
            "make a new one with `presets plan --only ... --out PLAN`"
        )
    saved = load_plan(plan_file) if plan_file else None
    session = Session(opts)
    console = ApplyConsole(session.target, yes=yes)
    common: dict[str, Any] = {
        "force": force,
        "parallelism": parallelism,
        "continue_on_error": continue_on_error,
        "lock_timeout": lock_timeout,
        "on_event": console.on_event,
        "interruption": Interruption(),
    }
    where = (session.project, session.spec, session.target, os.environ)
    with contextlib.ExitStack() as scope:
        scope.callback(session.close)
        scope.callback(console.close)
        scope.enter_context(routed_to(common["interruption"]))  # Ctrl-C: see interrupts.py
        if saved is not None:
            console.total = len(saved.writes)
            result, report = apply_saved(
                saved,
                *where,
                confirm=console.confirm_saved,
                show=console.show,
                **common,
            )
        else:
            result, report = apply_interactive(
                *where,
                confirm=console.confirm,
                show=console.show,
                only=only,
                prune=prune,
                **common,
            )
    if report is None:
        if result.has_changes:
            OUT.echo("Apply cancelled; nothing was written.")
            raise SystemExit(EXIT_ERROR)
        if saved is not None:  # a live apply showed its plan, which says so already
            OUT.echo("No changes. The remote matches the definitions.")
        return
    OUT.echo(OUT.style(f"Apply complete: {report.summary()}.", bold=True, fg="green"))
    if report.reconciled:
        names = ", ".join(report.reconciled)
        OUT.echo(f"  (reconciled after a lost response, no duplicate created: {names})")


@click.command(name="import")
@click.argument("names", nargs=-1)
@target_options
@click.option("--all", "everything", is_flag=True, help="Import every remote preset.")
@click.option("--force", is_flag=True, help="Overwrite existing files and definitions.")
def import_(names: tuple[str, ...], everything: bool, force: bool, **opts: Any) -> None:
    """Adopt existing remote presets: write one canonical YAML file per preset.

    NAMES may be globs. Afterwards `presets plan` shows them unchanged.
    """
    from cloudinary_presets.operations.workflow import import_presets

    session = Session(opts)
    try:
        written = import_presets(
            session.project,
            session.spec,
            session.target,
            os.environ,
            names=names,
            everything=everything,
            force=force,
        )
    finally:
        session.close()
    for item in written:
        OUT.echo(f"imported {item.remote_name} -> {item.path}")
        if item.kept:
            OUT.echo(
                f"  kept verbatim (not checked, see `presets validate`): {', '.join(item.kept)}"
            )
    OUT.echo(
        f"{len(written)} preset(s) imported; run `presets plan` to check that nothing changes."
    )
