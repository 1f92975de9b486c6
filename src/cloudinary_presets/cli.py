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
from typing import Any, ClassVar

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


def _apply_options(func: Any, decorators: list[Any]) -> Any:
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


_PROJECT_OPTIONS = [
    click.option(
        "--env",
        "env_name",
        metavar="NAME",
        help="Environment from cloudinary-presets.yaml (credentials, overrides, variables).",
    ),
    click.option(
        "--root",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("."),
        show_default=True,
        help="Project root (where cloudinary-presets.yaml and .presets/ live).",
    ),
]


def project_options(func: Any) -> Any:
    """Where the definitions are, and which environment resolves them (no network)."""
    return _apply_options(func, _PROJECT_OPTIONS)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@project_options
@click.option("--strict", is_flag=True, help="Treat policy lint warnings as errors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Output format (github: workflow annotations).",
)
def validate(path: Path | None, env_name: str | None, root: Path, strict: bool, fmt: str) -> None:
    """Validate preset files (default: the presets/ folder) without touching Cloudinary.

    Prints each problem as file:line:col: severity: message, then a summary. Exit 0 when
    valid (warnings allowed), 1 when not.
    """
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.renderers.github import annotation_lines, validation_summary

    project = Project.open(root, path)
    report = project.report(project.environment(env_name), os.environ, strict=strict)
    files, valid = report.presets.files, len(report.presets)
    summary = (
        f"{files} file(s), {valid} valid preset(s): "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    if fmt == "json":
        payload = {
            "valid": not report.errors,
            "files": files,
            "presets": valid,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "problems": [p.to_dict() for p in report.problems],
        }
        OUT.echo(json.dumps(payload, indent=2))
    elif fmt == "github":
        for line in annotation_lines(report.problems):
            OUT.echo(line)
        OUT.echo(summary)
    else:
        for problem in report.problems:
            color = "red" if problem.is_error else "yellow"
            OUT.echo(OUT.style(problem.render(), fg=color))
        OUT.echo(OUT.style(summary, bold=True))
    _github_summary(validation_summary(report.problems, files, valid))
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
    from cloudinary_presets.definitions.schema import stale_schemas, write_schemas

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
        *_PROJECT_OPTIONS,
        click.option(
            "--url",
            metavar="CLOUDINARY_URL",
            help="cloudinary://KEY:SECRET@CLOUD[?upload_prefix=...] (prefer the CLOUDINARY_URL "
            "variable: arguments show in `ps`).",
        ),
        click.option(
            "--profile",
            metavar="NAME",
            is_flag=False,
            flag_value="__default__",
            default=None,
            help="A cloudinary-cli saved configuration (`--profile` alone: the saved default).",
        ),
        click.option(
            "--emulator",
            "use_emulator",
            is_flag=True,
            help="Use the embedded local emulator on purpose (required in CI).",
        ),
        click.option(
            "--presets-dir",
            type=click.Path(path_type=Path),
            default=None,
            help="Presets folder (default: presets_dir from the configuration, else presets/).",
        ),
        click.option(
            "--debug",
            is_flag=True,
            help="Log every HTTP call (method, path, status, time, quota) to stderr, secrets "
            "redacted.",
        ),
    ]
    return _apply_options(func, decorators)


def scope_options(func: Any) -> Any:
    """Which presets a plan or an apply covers: `--only` globs and pruning."""
    return _apply_options(
        func,
        [
            click.option(
                "--only",
                multiple=True,
                metavar="GLOB",
                help="Limit to presets whose name matches (repeatable).",
            ),
            click.option(
                "--prune/--no-prune",
                default=None,
                help="Delete remote presets no file defines (default: `prune` in the "
                "configuration, else off).",
            ),
        ],
    )


class Session:
    """What a remote command works with: the project, its environment and the target."""

    def __init__(self, opts: dict[str, Any], *, machine_output: bool = False) -> None:
        from cloudinary_presets.definitions.project import Project
        from cloudinary_presets.operations.target import open_target

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

    from cloudinary_presets.cloudinary.transport import install_redaction

    logger = logging.getLogger("cloudinary_presets")
    if any(getattr(h, "presets_debug", False) for h in logger.handlers):
        return  # already on (the CLI may run several times in one process)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    handler.presets_debug = True  # type: ignore[attr-defined]
    install_redaction(handler)  # records of every logger pass here: scrub them all
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
@scope_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan (JSON, mode 0600) for `presets apply PLAN`.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error."
)
@click.option("--verbose", "-v", is_flag=True, help="Also list unchanged presets.")
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
    verbose: bool,
    labels: Path | None,
    all_envs: bool,
    base_rev: str | None,
    **opts: Any,
) -> None:
    """Show what `apply` would change in the target product environment.

    Reads every remote preset with the fewest Admin API calls (pages of 500) and diffs
    them semantically against the definitions. Never writes to Cloudinary.
    """
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.simulate import read_samples
    from cloudinary_presets.planning.planfile import save_plan

    samples = read_samples(labels) if labels else None
    if all_envs and opts.get("env_name"):
        raise click.UsageError("give either --env or --all-envs")
    if all_envs and out_path:
        raise click.UsageError("--out saves one environment's plan; use --env with --out")
    names: list[str | None] = [opts.get("env_name")]
    if all_envs:
        names = list(Project.open(opts["root"], opts.get("presets_dir")).environments())
        if not names:
            raise click.UsageError("--all-envs: cloudinary-presets.yaml defines no environments")
    results: dict[str, Any] = {}
    failed = False
    for name in names:
        if all_envs and fmt == "text":
            OUT.echo(OUT.style(f"=== environment {name} ===", bold=True))
        try:
            result = _plan_one({**opts, "env_name": name}, fmt, only, prune, base_rev, samples)
        except PresetsError as exc:
            if not all_envs:
                raise
            OUT.err(OUT.style("error: ", fg="red", bold=True) + f"environment {name}: {exc}")
            failed = True
            continue
        results[name or ""] = result
        if fmt != "json" or not all_envs:
            title = f"Environment {name}: " if all_envs else ""
            OUT.echo(render_plan(result, fmt, verbose=verbose, title=title))
    if fmt == "json" and all_envs:
        OUT.echo(
            json.dumps({"environments": {k: v.to_dict() for k, v in results.items()}}, indent=2)
        )
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        from cloudinary_presets.renderers.markdown import render_markdown

        for name, result in results.items():
            _github_summary(
                render_markdown(result, title=f"Preset plan, environment {name}" if name else "")
            )
    if out_path is not None and results:
        save_plan(next(iter(results.values())), out_path)
        OUT.err(f"saved the plan to {out_path} (apply it with `presets apply {out_path}`)")
    if failed:
        raise SystemExit(EXIT_ERROR)
    if detailed_exitcode and any(r.has_changes for r in results.values()):
        raise SystemExit(EXIT_CHANGES)


def _plan_one(
    opts: dict[str, Any],
    fmt: str,
    only: tuple[str, ...],
    prune: bool | None,
    base_rev: str | None,
    samples: Any,
) -> Any:
    """One environment's plan: against git REV (no credentials) or against its target."""
    from cloudinary_presets.operations.workflow import make_plan, plan_impact

    if base_rev is not None:
        from cloudinary_presets.definitions.project import Project
        from cloudinary_presets.planning.gitbase import plan_against_revision

        project = Project.open(opts["root"], opts.get("presets_dir"))
        spec = project.environment(opts.get("env_name"))
        line = f"Target: definitions at {base_rev} vs the work tree (no credentials used)"
        (OUT.err if fmt != "text" else OUT.echo)(OUT.style(line, bold=True))
        return plan_against_revision(project, spec, os.environ, base_rev)
    session = Session(opts, machine_output=fmt != "text")
    try:
        planned = make_plan(
            session.project, session.spec, session.target, os.environ, only=only, prune=prune
        )
    finally:
        session.close()
    return plan_impact(planned, samples) if samples else planned.plan


def render_plan(result: Any, fmt: str, *, verbose: bool = False, title: str = "") -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        from cloudinary_presets.renderers.markdown import render_markdown

        return render_markdown(
            result, title=f"{title}preset plan for {result.target.description}" if title else ""
        )
    from cloudinary_presets.renderers.text import render_text

    return render_text(result, style=OUT.style, verbose=verbose)


# --------------------------------------------------------------------------- apply


class ApplyConsole:
    """How an apply talks to the person: the plan, the question, then progress lines.

    Per-preset lines off a TTY; a one-line counter on a TTY.
    """

    VERBS: ClassVar[dict[str, str]] = {
        "create": "created",
        "update": "updated",
        "delete": "deleted",
    }

    def __init__(self, target: Any, *, yes: bool) -> None:
        self.target = target
        self.yes = yes
        self.total = 0
        self.finished = 0
        self.tty = sys.stdout.isatty()

    def show(self, result: Any) -> None:
        from cloudinary_presets.renderers.text import render_text

        OUT.echo(render_text(result, style=OUT.style))
        self.total = len(result.writes)

    def confirm(self, result: Any) -> bool:
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

    def on_event(self, event: Any) -> None:
        change = event.change
        if event.kind == "start":
            if self.tty:
                click.echo(
                    f"\r[{self.finished}/{self.total}] {change.action} "
                    f"{change.remote_name}...\033[K",
                    nl=False,
                )
            return
        self.finished += 1
        if event.kind == "done":
            line = OUT.style(f"{self.VERBS[change.action]} {change.remote_name}", fg="green")
        else:
            line = OUT.style(
                f"FAILED {change.action} {change.remote_name}: {event.message}", fg="red"
            )
        if self.tty:
            click.echo("\r\033[K", nl=False)
        OUT.echo(line)


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
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
    deletes, then re-reads the remote to verify what Cloudinary stored.
    """
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
    }
    try:
        if saved is not None:
            result, report = apply_saved(
                saved, session.project, session.spec, session.target, os.environ, **common
            )
            if report is None:
                OUT.echo("No changes. The remote matches the definitions.")
                return
            console.total = len(result.writes)
        else:
            result, report = apply_interactive(
                session.project,
                session.spec,
                session.target,
                os.environ,
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
                return
    finally:
        session.close()
    OUT.echo(OUT.style(f"Apply complete: {report.summary()}.", bold=True, fg="green"))
    if report.reconciled:
        names = ", ".join(report.reconciled)
        OUT.echo(f"  (reconciled after a lost response, no duplicate created: {names})")


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
    OUT.echo(
        f"{len(written)} preset(s) imported; run `presets plan` to check that nothing changes."
    )


# --------------------------------------------------------------------------- upload, resolve


def _context_pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: expected key=value", param_hint="--context")
        out[key] = item
    return out


def _upload_line(path: str, result: Any) -> str:
    statuses = ", ".join(f"{m.get('kind')} {m.get('status')}" for m in result.moderation)
    moderation = f"  moderation: {statuses}" if statuses else ""
    color = "red" if result.rejected else "green"
    return (
        OUT.style(f"{path} -> {result.public_id}", fg=color) + f"  {result.secure_url}{moderation}"
    )


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--preset",
    "preset_name",
    required=True,
    metavar="NAME",
    help="The preset, by the name in its file.",
)
@click.option("--public-id", metavar="ID", help="Public ID (one file only).")
@click.option("--tag", "tags", multiple=True, metavar="T", help="Tag to add (repeatable).")
@click.option(
    "--context", "contexts", multiple=True, metavar="K=V", help="Context key=value (repeatable)."
)
@click.option(
    "--verify",
    is_flag=True,
    help="First check (one Admin API call) that the remote preset matches its definition.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--allow-rejected", is_flag=True, help="Exit 0 even when moderation rejects an upload."
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Concurrent uploads.",
)
@click.option(
    "--resource-type",
    type=click.Choice(["auto", "image", "video", "raw"]),
    default="auto",
    show_default=True,
)
@target_options
def upload(
    files: tuple[str, ...],
    preset_name: str,
    public_id: str | None,
    tags: tuple[str, ...],
    contexts: tuple[str, ...],
    verify: bool,
    as_json: bool,
    allow_rejected: bool,
    parallelism: int,
    resource_type: str,
    **opts: Any,
) -> None:
    """Upload FILES (paths or URLs) with a preset resolved by name.

    Checks locally what Cloudinary would refuse before sending anything. Exit 1 if an
    upload failed or moderation rejected it (--allow-rejected: exit 0 for rejections).
    """
    from cloudinary_presets.operations.uploader import Uploader

    if public_id and len(files) > 1:
        raise click.UsageError("--public-id needs exactly one file")
    context = _context_pairs(contexts)
    session = Session(opts, machine_output=as_json)
    uploader = Uploader(session.project, session.spec, session.target, os.environ)
    try:
        uploader.resolve(preset_name)
        if verify:
            uploader.verify(uploader.resolve(preset_name))
        outcomes = upload_many(
            uploader,
            files,
            preset_name,
            public_id,
            tags,
            context,
            resource_type,
            parallelism,
            lines_to_stderr=as_json,
        )
    finally:
        session.close()
    failed = [f for f, r in outcomes if isinstance(r, Exception)]
    rejected = [f for f, r in outcomes if not isinstance(r, Exception) and r.rejected]
    if as_json:
        OUT.echo(json.dumps([_upload_json(f, r) for f, r in outcomes], indent=2))
    OUT.err(
        f"{len(outcomes) - len(failed)}/{len(outcomes)} uploaded; {len(rejected)} rejected by "
        f"moderation; {len(failed)} failed"
    )
    if failed or (rejected and not allow_rejected):
        raise SystemExit(EXIT_ERROR)


def upload_many(
    uploader: Any,
    files: tuple[str, ...],
    preset_name: str,
    public_id: str | None,
    tags: tuple[str, ...],
    context: dict[str, str],
    resource_type: str,
    parallelism: int,
    *,
    lines_to_stderr: bool = False,
) -> list[tuple[str, Any]]:
    """Bounded concurrent uploads; one line per file as each finishes (a bar on a TTY).

    The lines go to stderr on a TTY (under the bar) and with ``lines_to_stderr`` (--json,
    whose stdout must be the JSON alone).
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def one(path: str) -> Any:
        return uploader.upload(
            path,
            preset=preset_name,
            public_id=public_id,
            tags=list(tags),
            context=context,
            resource_type=resource_type,
        )

    results: dict[str, Any] = {}
    tty = sys.stdout.isatty()
    to_stderr = tty or lines_to_stderr
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        futures = {pool.submit(one, f): f for f in files}
        with (
            click.progressbar(length=len(files), label="uploading", file=sys.stderr)
            if tty
            else _NullBar() as bar
        ):
            for future in as_completed(futures):
                path = futures[future]
                try:
                    result = future.result()
                    results[path] = result
                    OUT.err(_upload_line(path, result)) if to_stderr else OUT.echo(
                        _upload_line(path, result)
                    )
                except PresetsError as exc:
                    results[path] = exc
                    OUT.err(OUT.style(f"{path}: FAILED: {exc}", fg="red"))
                bar.update(1)
    return [(f, results[f]) for f in files]


class _NullBar:
    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _upload_json(path: str, result: Any) -> dict[str, Any]:
    if isinstance(result, Exception):
        return {"file": path, "ok": False, "error": str(result)}
    return {
        "file": path,
        "ok": True,
        "public_id": result.public_id,
        "secure_url": result.secure_url,
        "moderation_status": result.moderation_status,
        "moderation": result.moderation,
        "response": dict(result.raw),
    }


@cli.command()
@click.argument("name")
@project_options
def resolve(name: str, env_name: str | None, root: Path) -> None:
    """Print a preset's remote name and a summary of its definition (no network)."""
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.definitions.resolve import resolve_preset

    project = Project.open(root)
    found = resolve_preset(project, project.environment(env_name), os.environ, name)
    OUT.echo(found.remote_name)
    OUT.echo(found.summary())


@cli.command()
@click.argument("name", required=False)
@project_options
def render(name: str | None, env_name: str | None, root: Path) -> None:
    """Print the fully resolved definitions of an environment (overrides and variables applied)."""
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.workflow import render_definitions

    project = Project.open(root)
    OUT.echo(
        render_definitions(project, project.environment(env_name), os.environ, name).rstrip("\n")
    )


@cli.group()
def moderation() -> None:
    """Moderation tools: see what thresholds decide before changing them."""


@moderation.command("simulate")
@click.option("--preset", "preset_name", required=True, metavar="NAME")
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="JSON lines: Cloudinary moderation_labels, upload responses, or Rekognition "
    "DetectModerationLabels output.",
)
@click.option("--json", "as_json", is_flag=True)
@target_options
def simulate(preset_name: str, labels: Path, as_json: bool, **opts: Any) -> None:
    """Decide labelled samples under the definition and under the remote's current preset."""
    from cloudinary_presets.operations.simulate import read_samples
    from cloudinary_presets.operations.workflow import simulate_preset

    samples = read_samples(labels)
    session = Session(opts, machine_output=as_json)
    try:
        result = simulate_preset(
            session.project, session.spec, session.target, os.environ, preset_name, samples
        )
    finally:
        session.close()
    if as_json:
        OUT.echo(
            json.dumps(
                {
                    "preset": result.preset.remote_name,
                    "remote_exists": result.remote_exists,
                    **result.impact.to_dict(),
                },
                indent=2,
            )
        )
        return
    remote = "remote" if result.remote_exists else "remote (preset not created yet)"
    OUT.echo(f"Preset {result.preset.remote_name}: definition vs {remote}")
    OUT.echo(result.impact.summary(before_label="remote", after_label="definition"))
    if result.impact.newly_rejected:
        OUT.echo("  newly rejected samples: " + ", ".join(result.impact.newly_rejected[:10]))
    if result.impact.newly_approved:
        OUT.echo("  newly approved samples: " + ", ".join(result.impact.newly_approved[:10]))


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
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Bind address (loopback only unless --allow-remote).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback bind address (the emulator has no real security).",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="SQLite file for state (default: in memory).",
)
@click.option(
    "--cloud",
    "clouds",
    multiple=True,
    metavar="NAME:KEY:SECRET",
    help="A cloud and its credentials (repeatable; default: the demo cloud).",
)
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="JSON lines of {sha256, labels} moderation labels.",
)
@click.option(
    "--quota",
    type=click.IntRange(0),
    default=2000,
    show_default=True,
    help="Admin API calls per hour per cloud.",
)
@click.option(
    "--put-semantics",
    type=click.Choice(["replace", "merge"]),
    default="replace",
    show_default=True,
    help="Preset updates replace the stored settings, or merge into them (an empty value"
    " clears a setting). Cloudinary's behaviour is unverified.",
)
@click.option(
    "--moderation-timing",
    type=click.Choice(["async", "sync"]),
    default="async",
    show_default=True,
    help="Automatic moderation decisions land after the upload (current docs), or are in"
    " the upload response (older docs).",
)
@click.option(
    "--moderation-delay",
    type=click.FloatRange(0, 3600),
    default=0.05,
    show_default=True,
    metavar="SECONDS",
    help="How long after an upload asynchronous moderation decisions land.",
)
def emulator(
    port: int,
    host: str,
    allow_remote: bool,
    data: Path | None,
    clouds: tuple[str, ...],
    labels: Path | None,
    quota: int,
    put_semantics: str,
    moderation_timing: str,
    moderation_delay: float,
) -> None:
    """Run a local Cloudinary (Admin API presets + Upload API) for development and tests.

    The first line printed is the CLOUDINARY_URL that reaches the first cloud.
    """
    from cloudinary_presets.emulator import Emulator

    accounts = [_cloud_account(c) for c in clouds] or None
    try:
        emu = Emulator(
            db_path=str(data) if data else ":memory:",
            clouds=accounts,
            host=host,
            port=port,
            quota_per_hour=quota,
            allow_remote=allow_remote,
            labels_file=labels,
            put_semantics=put_semantics,
            moderation_timing=moderation_timing,
            moderation_delay=moderation_delay,
        )
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
