"""Shell completion: ``presets completion bash|zsh|fish`` and what a TAB offers.

click's completion machinery runs the command line resiliently and asks the parameters
below for candidates: preset names (from the definitions, no network), environment names
(from the configuration) and saved plan files. A completion never fails loudly: on any
problem it offers nothing and the shell falls back to its own completion.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudinary_presets.cli.output import OUT

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from cloudinary_presets.definitions.project import Project

SHELLS = ("bash", "zsh", "fish")
#: the variable click reads to run a completion instead of the command (``_PRESETS_COMPLETE``)
COMPLETE_VAR = "_PRESETS_COMPLETE"


def _project(ctx: click.Context) -> Project:
    """The project the command line so far points at (``--root``, ``--presets-dir``)."""
    from cloudinary_presets.definitions.project import Project, find_root

    options: dict[str, Any] = {}
    for context in (ctx, *_parents(ctx)):
        for key in ("root", "presets_dir"):
            if options.get(key) is None and context.params.get(key) is not None:
                options[key] = context.params[key]
    root = options.get("root") or find_root(Path.cwd())
    return Project.open(root, options.get("presets_dir"))


def _parents(ctx: click.Context) -> list[click.Context]:
    found = []
    while ctx.parent is not None:
        ctx = ctx.parent
        found.append(ctx)
    return found


def _items(candidates: list[str], incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(c) for c in sorted(set(candidates)) if c.startswith(incomplete)]


def complete_preset(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The names defined in the presets folder (read, not validated)."""
    try:
        return _items(_project(ctx).names(), incomplete)
    except Exception:  # a completion offers nothing rather than a traceback in the shell
        return []


def complete_environment(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The environments of cloudinary-presets.yaml."""
    try:
        return _items(_project(ctx).environments(), incomplete)
    except Exception:
        return []


def complete_plan_file(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Saved plans (``*.json``) and folders, from what was typed so far."""
    from click.shell_completion import CompletionItem

    typed_dir, _, stem = incomplete.rpartition("/")
    prefix = f"{typed_dir}/" if "/" in incomplete else ""
    try:
        entries = sorted(Path(prefix or ".").iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem):
            continue
        if entry.is_dir():
            found.append(CompletionItem(f"{prefix}{entry.name}/", type="dir"))
        elif entry.suffix == ".json":
            found.append(CompletionItem(f"{prefix}{entry.name}", type="file"))
    return found


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    bash: add `eval "$(presets completion bash)"` to ~/.bashrc; zsh: the same with zsh in
    ~/.zshrc; fish: `presets completion fish > ~/.config/fish/completions/presets.fish`.
    TAB then completes commands, options, preset names, environments and plan files.
    """
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root().command
    shell_class = get_completion_class(shell)
    assert shell_class is not None  # every choice is a shell click knows
    OUT.echo(shell_class(root, {}, "presets", COMPLETE_VAR).source().rstrip("\n"))
