"""The README stays true: every command, field, lint and exit code it must describe is there."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from cloudinary_presets import errors
from cloudinary_presets.cli import cli
from cloudinary_presets.definitions.lints import LINT_IDS
from cloudinary_presets.model.preset import Preset, Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{full} "))
        else:
            out.append((full, command))
    return out


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_is_documented_and_has_help(name, command):
    assert f"presets {name}" in README, f"README does not mention `presets {name}`"
    assert command.help, f"`presets {name}` has no help text"
    assert len(command.help.strip()) > 20, f"`presets {name}` has almost no help text"


@pytest.mark.parametrize("field", [f.alias or n for n, f in Settings.model_fields.items()])
def test_every_setting_is_in_the_format_reference(field):
    assert re.search(rf"`{re.escape(field)}`", README), f"setting `{field}` is not documented"


@pytest.mark.parametrize("field", list(Preset.model_fields))
def test_every_top_level_key_is_documented(field):
    assert f"`{field}`" in README


@pytest.mark.parametrize("lint_id", sorted(LINT_IDS))
def test_every_lint_is_documented(lint_id):
    assert f"`{lint_id}`" in README


@pytest.mark.parametrize(
    "code",
    [
        errors.EXIT_OK,
        errors.EXIT_ERROR,
        errors.EXIT_CHANGES,
        errors.EXIT_REFUSED,
        errors.EXIT_USAGE,
    ],
)
def test_every_exit_code_is_in_the_table(code):
    assert re.search(rf"^\| {code} \|", README, re.MULTILINE)


def test_quickstart_is_two_commands_and_ci_runs_the_readme_test_command():
    quickstart = README.split("## Quickstart", 1)[1].split("## Contents", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quickstart, re.DOTALL)
    assert len(blocks) == 2
    assert all(len(b.strip().splitlines()) == 1 for b in blocks)
    assert "presets apply --yes" in blocks[0]
    assert "presets plan" in blocks[0]
    test_command = blocks[1].strip().split("&&")[-1].strip()
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert test_command in [line.strip() for line in ci.splitlines()]
