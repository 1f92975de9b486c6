"""What commands share: option groups, the target a remote command talks to, --debug."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudinary_presets.cli.completion import complete_environment, complete_preset
from cloudinary_presets.cli.output import OUT

if TYPE_CHECKING:
    from cloudinary_presets.definitions.environments import EnvironmentSpec
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.target import Target


def _apply_options(func: Any, decorators: list[Any]) -> Any:
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


_LOCATION_OPTIONS = [
    click.option(
        "--root",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Project root, where cloudinary-presets.yaml and .presets/ live (default: the "
        "nearest folder upward with cloudinary-presets.yaml or presets/, as git finds a "
        "repository).",
    ),
    click.option(
        "--presets-dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Presets folder (default: presets_dir from the configuration, else presets/).",
    ),
]
_PROJECT_OPTIONS = [
    click.option(
        "--env",
        "env_name",
        metavar="NAME",
        shell_complete=complete_environment,
        help="Environment from cloudinary-presets.yaml (credentials, overrides, variables).",
    ),
    *_LOCATION_OPTIONS,
]


#: ``--preset NAME``: a preset by the name in its file (TAB completes it)
PRESET_OPTION = click.option(
    "--preset",
    "preset_name",
    required=True,
    metavar="NAME",
    shell_complete=complete_preset,
    help="The preset, by the name in its file.",
)


def location_options(func: Any) -> Any:
    """Where the project and its definitions are: ``--root`` and ``--presets-dir``."""
    return _apply_options(func, _LOCATION_OPTIONS)


def project_options(func: Any) -> Any:
    """Where the definitions are, and which environment resolves them (no network)."""
    return _apply_options(func, _PROJECT_OPTIONS)


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
                shell_complete=complete_preset,
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


def project_root(root: Path | None) -> Path:
    """``--root``, else the root found from the working directory."""
    from cloudinary_presets.definitions.project import find_root

    return root if root is not None else find_root(Path.cwd())


def open_project(
    opts: dict[str, Any], presets_dir: Path | None = None, *, own_folder: bool = False
) -> Project:
    """The project at ``--root`` (or found upward), with ``--presets-dir`` if given, its
    secrets known before anything is read or shown; ``own_folder``: a folder the person
    named may lie outside the root (``validate PATH``)."""
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.known_secrets import learn_secrets

    folder = presets_dir or opts.get("presets_dir")
    project = Project.open(project_root(opts.get("root")), folder, own_folder=own_folder)
    learn_secrets(project, os.environ, Path.home())
    return project


def format_options(*choices: str, default: str = "text", what: str = "the result") -> Any:
    """``--format CHOICE`` and ``--json`` (its alias for ``--format json``), merged into
    one ``fmt`` argument."""

    def decorate(func: Any) -> Any:
        @functools.wraps(func)
        def merged(*args: Any, as_json: bool, fmt: str, **kwargs: Any) -> Any:
            if as_json:
                if fmt not in (default, "json"):
                    raise click.UsageError(f"--json means --format json, not --format {fmt}")
                fmt = "json"
            return func(*args, fmt=fmt, **kwargs)

        return _apply_options(
            merged,
            [
                click.option(
                    "--format",
                    "fmt",
                    type=click.Choice(choices),
                    default=default,
                    show_default=True,
                    help=f"How to print {what} (json and markdown are for machines and pull "
                    "requests; messages go to stderr).",
                ),
                click.option("--json", "as_json", is_flag=True, help="Same as --format json."),
            ],
        )

    return decorate


def connect(
    opts: dict[str, Any], project: Project, spec: EnvironmentSpec, *, machine_output: bool
) -> Target:
    """Open the target the options choose for ``spec``, and say which one it is."""
    from cloudinary_presets.errors import MissingCredentials, TargetError
    from cloudinary_presets.operations.target import is_ci, open_target

    if opts.get("debug"):
        enable_debug()
    choice: dict[str, Any] = {
        "root": project.root,
        "environ": os.environ,
        "home": Path.home(),
        "url": opts.get("url"),
        "profile": opts.get("profile"),
        "environment": spec.name,
        "env_credentials": spec.credentials,
        "env_emulator": spec.emulator,
        "timeout": request_timeout(),
    }
    try:
        target = open_target(**choice, emulator=bool(opts.get("use_emulator")))
    except MissingCredentials:
        # only the command line falls back to the embedded emulator, and says so loudly
        if is_ci(os.environ):
            raise TargetError(
                "no Cloudinary credentials are configured and CI is set: refusing to fall "
                "back to the local emulator silently",
                hint="set CLOUDINARY_URL (or pass --url, --profile or --env), or pass "
                "--emulator to run against the local emulator on purpose",
            ) from None
        target = open_target(**choice, emulator=True)
    announce_target(target, machine_output=machine_output)
    return target


class Session:
    """What a remote command works with: the project, its environment and the target."""

    def __init__(self, opts: dict[str, Any], *, machine_output: bool = False) -> None:
        self.project = open_project(opts)
        self.spec = self.project.environment(opts.get("env_name"))
        self.target = connect(opts, self.project, self.spec, machine_output=machine_output)

    def close(self) -> None:
        self.target.close()


def announce(line: str, *, machine_output: bool) -> None:
    """A bold line about the target, on stderr when stdout is for machines."""
    (OUT.err if machine_output else OUT.echo)(OUT.style(line, bold=True))


def announce_target(target: Target, *, machine_output: bool) -> None:
    """The first line of every remote command: which product environment it talks to."""
    announce(f"Target: {target.info.description}", machine_output=machine_output)
    if target.info.emulator:
        (OUT.err if machine_output else OUT.echo)(
            OUT.style(
                "  No Cloudinary credentials configured: using the embedded LOCAL EMULATOR. "
                "Nothing is sent to Cloudinary. Set CLOUDINARY_URL (or --url/--profile/--env) "
                "to target a real product environment.",
                fg="yellow",
            )
        )


def timeout_option(func: Any) -> Any:
    """``presets --timeout SECONDS`` (or ``PRESETS_TIMEOUT``): a global option."""
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, max=86400, min_open=True),
        default=30.0,
        show_default=True,
        envvar="PRESETS_TIMEOUT",
        show_envvar=True,
        metavar="SECONDS",
        callback=_finite,
        help="Seconds each HTTP request may take, connect to last byte; a call with its "
        "retries takes at most twice that.",
    )(func)


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if value != value:  # NaN passes every range check
        raise click.BadParameter("nan is not a number of seconds", ctx, param)
    return value


def request_timeout() -> float:
    """The global ``--timeout`` of the running command (30 s outside one)."""
    context = click.get_current_context(silent=True)
    value = context.find_root().params.get("timeout") if context is not None else None
    return float(value) if value is not None else 30.0


def enable_debug() -> None:
    """Log every HTTP call to stderr, scrubbed, for this invocation (see disable_debug)."""
    import logging

    from cloudinary_presets.cloudinary.log_redaction import install_redaction

    logger = logging.getLogger("cloudinary_presets")
    if any(getattr(h, "presets_debug", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    handler.presets_debug = True  # type: ignore[attr-defined]
    handler.previous_level = logger.level  # type: ignore[attr-defined]
    install_redaction(handler)  # records of every logger pass here: scrub them all
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def disable_debug() -> None:
    """Undo :func:`enable_debug` when a command ends: the CLI may run many times in one
    process (tests, an embedding program), and only the runs given --debug log."""
    import logging

    logger = logging.getLogger("cloudinary_presets")
    for handler in [h for h in logger.handlers if getattr(h, "presets_debug", False)]:
        logger.removeHandler(handler)
        logger.setLevel(getattr(handler, "previous_level", logging.NOTSET))
