"""The ``presets`` command line: thin glue over the library.

This is the only module that imports click, prints, reads the process environment or
exits. Each command parses its options, calls one library function, renders the result,
and maps :class:`~cloudinary_presets.errors.PresetsError` to the documented exit codes:
0 success, 1 error, 2 changes present (``--detailed-exitcode``), 3 refused by a safety
check, 64 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from cloudinary_presets._version import __version__
from cloudinary_presets.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_USAGE, PresetsError

EXIT_INTERRUPTED = 130


class Out:
    """stdout/stderr writers that colour only on a TTY and never with NO_COLOR."""

    def __init__(self) -> None:
        self.color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def style(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.color else text

    def echo(self, text: str = "") -> None:
        click.echo(text)

    def err(self, text: str) -> None:
        click.echo(text, err=True)


OUT = Out()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="presets", message="%(prog)s %(version)s")
def cli() -> None:
    """Cloudinary upload presets as code: validate, plan, apply, import, upload."""


# --------------------------------------------------------------------------- validate


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat policy lint warnings as errors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def validate(path: Path | None, strict: bool, fmt: str) -> None:
    """Validate preset files (default: the presets/ folder) without touching Cloudinary.

    Prints each problem as file:line:col: severity: message. Exit 0 when valid
    (warnings allowed), 1 when not.
    """
    from cloudinary_presets.loader import validate_tree

    root = path or Path("presets")
    report = validate_tree(root, strict=strict)
    if fmt == "json":
        OUT.echo(
            json.dumps(
                {
                    "valid": not report.errors,
                    "files": report.presets.files,
                    "presets": len(report.presets),
                    "errors": len(report.errors),
                    "warnings": len(report.warnings),
                    "problems": [p.to_dict() for p in report.problems],
                },
                indent=2,
            )
        )
    else:
        for problem in report.problems:
            color = "red" if problem.is_error else "yellow"
            OUT.echo(OUT.style(problem.render(), fg=color))
        summary = (
            f"{report.presets.files} file(s), {len(report.presets)} valid preset(s): "
            f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        )
        OUT.echo(OUT.style(summary, bold=True))
    if report.errors:
        raise SystemExit(EXIT_ERROR)


# --------------------------------------------------------------------------- schema


@cli.command()
@click.option("--check", is_flag=True, help="Fail if the committed schemas are out of date.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("schemas"),
    show_default=True,
    help="Where the schema files live.",
)
def schema(check: bool, directory: Path) -> None:
    """Write the JSON Schemas generated from the models (or check them with --check)."""
    from cloudinary_presets.schema import stale_schemas, write_schemas

    if check:
        stale = stale_schemas(directory)
        for path in stale:
            OUT.err(f"{path} is out of date; run `presets schema` and commit the result")
        if stale:
            raise SystemExit(EXIT_ERROR)
        OUT.echo("schemas are up to date")
        return
    for path in write_schemas(directory):
        OUT.echo(f"wrote {path}")


# --------------------------------------------------------------------------- targets

_TARGET_HELP = (
    "Target precedence: --url, then --profile, then the environment's credentials "
    "(--env or default_environment), then CLOUDINARY_URL, then the embedded local emulator."
)


def target_options(func: Any) -> Any:
    """Options every remote command shares: where the definitions are, and the target."""
    decorators = [
        click.option("--env", "env_name", metavar="NAME", help="Environment from cloudinary-presets.yaml."),
        click.option("--url", metavar="CLOUDINARY_URL", help="cloudinary://KEY:SECRET@CLOUD[?upload_prefix=...] (prefer the CLOUDINARY_URL variable: arguments show in `ps`)."),
        click.option("--profile", metavar="NAME", is_flag=False, flag_value="__default__", default=None, help="A cloudinary-cli saved configuration (`--profile` alone: the saved default)."),
        click.option("--emulator", "use_emulator", is_flag=True, help="Use the embedded local emulator on purpose (required in CI)."),
        click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True, help="Project root (where cloudinary-presets.yaml and .presets/ live)."),
        click.option("--presets-dir", type=click.Path(path_type=Path), default=None, help="Presets folder (default: presets_dir from the configuration, else presets/)."),
        click.option("--debug", is_flag=True, help="Log every HTTP call (method, path, status, time, quota) to stderr, secrets redacted."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class Session:
    """What a remote command works with: the project, its environment and the target."""

    def __init__(self, opts: dict[str, Any], *, machine_output: bool = False) -> None:
        from cloudinary_presets.project import Project
        from cloudinary_presets.target import open_target

        if opts.get("debug"):
            _enable_debug()
        self.project = Project.open(opts["root"], opts.get("presets_dir"))
        self.spec = self.project.environment(opts.get("env_name"))
        self.target = open_target(
            root=self.project.root,
            environ=os.environ,
            home=Path.home(),
            url=opts.get("url"),
            profile=opts.get("profile"),
            environment=self.spec.name,
            env_credentials=self.spec.credentials,
            env_emulator=self.spec.emulator,
            force_emulator=bool(opts.get("use_emulator")),
        )
        announce_target(self.target, machine_output=machine_output)

    def close(self) -> None:
        self.target.close()


def announce_target(target: Any, *, machine_output: bool) -> None:
    """The first line of every remote command: which product environment it talks to."""
    line = f"Target: {target.info.description}"
    write = OUT.err if machine_output else OUT.echo
    write(OUT.style(line, bold=True))
    if target.info.emulator:
        write(
            OUT.style(
                "  No Cloudinary credentials configured: using the embedded LOCAL EMULATOR. "
                "Nothing is sent to Cloudinary. Set CLOUDINARY_URL (or --url/--profile/--env) "
                "to target a real product environment.",
                fg="yellow",
            )
        )


def _enable_debug() -> None:
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    logger = logging.getLogger("cloudinary_presets")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _github_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")


# --------------------------------------------------------------------------- plan


@cli.command()
@target_options
@click.option("--only", multiple=True, metavar="GLOB", help="Limit the plan to presets whose name matches (repeatable).")
@click.option("--prune/--no-prune", default=None, help="Delete remote presets no file defines (default: `prune` in the configuration, else off).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Save the plan (JSON, mode 0600) for `presets apply PLAN`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--verbose", "-v", is_flag=True, help="Also list unchanged presets.")
def plan(only: tuple[str, ...], prune: bool | None, fmt: str, out_path: Path | None,
         detailed_exitcode: bool, verbose: bool, **opts: Any) -> None:
    """Show what `apply` would change in the target product environment.

    Reads every remote preset with the fewest Admin API calls (pages of 500) and diffs
    them semantically against the definitions. Never writes to Cloudinary.
    """
    from cloudinary_presets.planfile import save_plan
    from cloudinary_presets.workflow import make_plan

    session = Session(opts, machine_output=fmt != "text")
    try:
        planned = make_plan(session.project, session.spec, session.target, os.environ, only=only, prune=prune)
    finally:
        session.close()
    result = planned.plan
    OUT.echo(render_plan(result, fmt, verbose=verbose))
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        from cloudinary_presets.renderers.markdown import render_markdown

        _github_summary(render_markdown(result))
    if out_path is not None:
        save_plan(result, out_path)
        OUT.err(f"saved the plan to {out_path} (apply it with `presets apply {out_path}`)")
    if detailed_exitcode and result.has_changes:
        raise SystemExit(EXIT_CHANGES)


def render_plan(result: Any, fmt: str, *, verbose: bool = False) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        from cloudinary_presets.renderers.markdown import render_markdown

        return render_markdown(result)
    from cloudinary_presets.renderers.text import render_text

    return render_text(result, style=OUT.style, verbose=verbose)


# --------------------------------------------------------------------------- apply


def _progress(total: int) -> Any:
    """Per-preset lines off a TTY; a one-line counter on a TTY."""
    state = {"finished": 0}
    tty = sys.stdout.isatty()
    verbs = {"create": "created", "update": "updated", "delete": "deleted"}

    def on_event(event: Any) -> None:
        change = event.change
        if event.kind == "start":
            if tty:
                click.echo(f"\r[{state['finished']}/{total}] {change.action} {change.remote_name}...\033[K", nl=False)
            return
        state["finished"] += 1
        if event.kind == "done":
            line = OUT.style(f"{verbs[change.action]} {change.remote_name}", fg="green")
        else:
            line = OUT.style(f"FAILED {change.action} {change.remote_name}: {event.message}", fg="red")
        if tty:
            click.echo("\r\033[K", nl=False)
        OUT.echo(line)

    return on_event


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@target_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Override the safety thresholds and the quota check.")
@click.option("--only", multiple=True, metavar="GLOB", help="Limit to presets whose name matches (repeatable).")
@click.option("--prune/--no-prune", default=None, help="Delete remote presets no file defines.")
@click.option("--parallelism", type=click.IntRange(1, 32), default=4, show_default=True, help="Concurrent writes (lowered automatically when the quota runs low).")
@click.option("--continue-on-error", is_flag=True, help="Keep applying other changes after a failure.")
@click.option("--lock-timeout", type=click.FloatRange(0), default=0.0, show_default=True, help="Seconds to wait for another apply of this checkout.")
def apply(plan_file: Path | None, yes: bool, force: bool, only: tuple[str, ...], prune: bool | None,
          parallelism: int, continue_on_error: bool, lock_timeout: float, **opts: Any) -> None:
    """Apply the definitions to the target (or exactly a saved PLAN_FILE).

    Computes and shows the plan, asks for confirmation on a terminal (--yes skips it;
    without a terminal and without --yes it refuses), applies creates and updates before
    deletes, then re-reads the remote to verify what Cloudinary stored.
    """
    from cloudinary_presets.planfile import load_plan
    from cloudinary_presets.renderers.text import render_text
    from cloudinary_presets.workflow import apply_interactive, apply_saved

    saved = load_plan(plan_file) if plan_file else None
    session = Session(opts)
    common = {"force": force, "parallelism": parallelism, "continue_on_error": continue_on_error, "lock_timeout": lock_timeout}

    def confirm(result: Any) -> bool:
        OUT.echo(render_text(result, style=OUT.style))
        on_event.__dict__["total"] = len(result.writes)
        if yes:
            return True
        if not sys.stdin.isatty():
            raise PresetsError(
                "refusing to apply without confirmation: stdin is not a terminal",
                hint="review the plan, then pass --yes (or apply a saved plan: presets apply PLAN)",
            )
        answer = click.prompt(
            f"\nApply {len(result.writes)} change(s) to {session.target.info.description}? "
            "Only 'yes' is accepted",
            default="", show_default=False,
        )
        return bool(answer.strip() == "yes")

    def on_event(event: Any) -> None:
        if "printer" not in on_event.__dict__:
            on_event.__dict__["printer"] = _progress(on_event.__dict__.get("total", 0))
        on_event.__dict__["printer"](event)

    try:
        if saved is not None:
            result, report = apply_saved(saved, session.project, session.spec, session.target, os.environ, on_event=on_event, **common)
            if report is None:
                OUT.echo("No changes. The remote matches the definitions.")
                return
            on_event.__dict__["total"] = len(result.writes)
        else:
            result, report = apply_interactive(
                session.project, session.spec, session.target, os.environ,
                confirm=confirm, only=only, prune=prune, on_event=on_event, **common,
            )
            if report is None:
                if result.has_changes:
                    OUT.echo("Apply cancelled; nothing was written.")
                    raise SystemExit(EXIT_ERROR)
                return
    finally:
        session.close()
    OUT.echo(OUT.style(f"Apply complete: {report.summary()}.", bold=True, fg="green"))
    if report.reconciled:
        OUT.echo(f"  (reconciled after a lost response, no duplicate created: {', '.join(report.reconciled)})")


# --------------------------------------------------------------------------- import


@cli.command(name="import")
@click.argument("names", nargs=-1)
@target_options
@click.option("--all", "everything", is_flag=True, help="Import every remote preset.")
@click.option("--force", is_flag=True, help="Overwrite existing files and definitions.")
def import_(names: tuple[str, ...], everything: bool, force: bool, **opts: Any) -> None:
    """Adopt existing remote presets: write one canonical YAML file per preset.

    NAMES may be globs. Afterwards `presets plan` shows them unchanged.
    """
    from cloudinary_presets.workflow import import_presets

    session = Session(opts)
    try:
        written = import_presets(session.project, session.spec, session.target, os.environ,
                                 names=names, everything=everything, force=force)
    finally:
        session.close()
    for item in written:
        OUT.echo(f"imported {item.remote_name} -> {item.path}")
    OUT.echo(f"{len(written)} preset(s) imported; run `presets plan` to check that nothing changes.")


# --------------------------------------------------------------------------- emulator


def _cloud_account(value: str) -> Any:
    from cloudinary_presets.emulator import CloudAccount

    parts = value.split(":")
    if len(parts) != 3 or not all(parts):
        raise click.BadParameter("expected NAME:KEY:SECRET")
    try:
        return CloudAccount(*parts)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address (loopback only unless --allow-remote).")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback bind address (the emulator has no real security).")
@click.option("--data", type=click.Path(path_type=Path, dir_okay=False), default=None, help="SQLite file for state (default: in memory).")
@click.option("--cloud", "clouds", multiple=True, metavar="NAME:KEY:SECRET", help="A cloud and its credentials (repeatable; default: the demo cloud).")
@click.option("--labels", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None, help="JSON lines of {sha256, labels} moderation labels.")
@click.option("--quota", type=click.IntRange(0), default=2000, show_default=True, help="Admin API calls per hour per cloud.")
def emulator(port: int, host: str, allow_remote: bool, data: Path | None, clouds: tuple[str, ...],
             labels: Path | None, quota: int) -> None:
    """Run a local Cloudinary (Admin API presets + Upload API) for development and tests.

    The first line printed is the CLOUDINARY_URL that reaches the first cloud.
    """
    from cloudinary_presets.emulator import Emulator

    accounts = [_cloud_account(c) for c in clouds] or None
    try:
        emu = Emulator(db_path=str(data) if data else ":memory:", clouds=accounts, host=host, port=port,
                       quota_per_hour=quota, allow_remote=allow_remote, labels_file=labels)
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    for line in emu.startup_lines():
        OUT.echo(line)
    sys.stdout.flush()
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        OUT.err("emulator stopped")
    finally:
        emu.stop()


# --------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit status (the console script calls this)."""
    try:
        cli.main(args=argv, prog_name="presets", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        OUT.err("aborted")
        return EXIT_ERROR
    except PresetsError as exc:
        OUT.err(OUT.style("error: ", fg="red", bold=True) + str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        OUT.err("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
