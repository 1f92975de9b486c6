"""What commands share: option groups, the target a remote command talks to, --debug."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudinary_presets.cli.output import OUT

if TYPE_CHECKING:
    from cloudinary_presets.definitions.environments import EnvironmentSpec
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.target import Target


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


def open_project(
    opts: dict[str, Any], path: Path | None = None, *, own_folder: bool = False
) -> Project:
    """The project of ``--root``, its secrets known before anything is read or shown."""
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.target import learn_secrets

    project = Project.open(opts["root"], path or opts.get("presets_dir"), own_folder=own_folder)
    learn_secrets(project, os.environ, Path.home())
    return project


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
