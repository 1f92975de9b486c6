"""One way to say things: ``--format`` (and ``--json``) wherever there is machine output,
``--presets-dir`` and help on every option, colour as asked, progress on a terminal, and
summaries that name presets."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from everyday_helpers import Terminal

from cli_runner import Result
from cloudinary_presets.cli import main
from docs_support import root, walk

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "examples" / "images"
LABELS = REPO / "examples" / "moderation" / "labels.jsonl"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _commands() -> list[tuple[str, click.Command, click.Context]]:
    cli, ctx = root()
    return [("presets", cli, ctx)] + [(sub.command_path, c, sub) for c, sub in walk(cli, ctx)]


@pytest.mark.parametrize(("path", "command", "ctx"), _commands(), ids=[p for p, *_ in _commands()])
def test_every_option_has_help(path, command, ctx):
    for param in command.get_params(ctx):
        if isinstance(param, click.Option) and param.name not in ("help", "version"):
            assert param.help, f"`{path} {param.opts[0]}` has no help"
            assert len(param.help) > 10, f"`{path} {param.opts[0]}`: {param.help!r} says little"


READS_DEFINITIONS = [
    "validate", "fmt", "plan", "apply", "import", "render", "resolve", "upload",
    "moderation simulate", "doctor",
]  # fmt: skip


@pytest.mark.parametrize("name", READS_DEFINITIONS)
def test_every_command_that_reads_definitions_takes_presets_dir_and_root(name):
    [(command, ctx)] = [
        (c, sub) for _, c, sub in _commands() if sub.command_path == f"presets {name}"
    ]
    found = {opt for param in command.get_params(ctx) for opt in getattr(param, "opts", [])}
    assert {"--presets-dir", "--root", "--color"} <= found


def _in_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run with stderr a terminal (stdout captured, not a terminal)."""
    out, err = io.StringIO(), Terminal()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # type: ignore[type-var]
        code = main(args)
    return code, out.getvalue(), err.wrapped.getvalue()


# --------------------------------------------------------------------------- formats


@pytest.fixture
def applied(project_dir, remote_cli, emulator):
    assert remote_cli("apply", "--yes").exit_code == 0
    return emulator


def _json(result: Result) -> object:
    assert result.exit_code in (0, 2), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["plan"],
        ["doctor"],
        ["upload", str(IMAGES / "sunset.png"), "--preset", "product-images"],
        ["moderation", "simulate", "--preset", "ugc-moderated", "--labels", str(LABELS)],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_format_json_markdown_and_the_json_alias(applied, remote_cli, command):
    as_json = _json(remote_cli(*command, "--format", "json"))
    alias = _json(remote_cli(*command, "--json"))
    if command[0] == "upload":  # two uploads: two public ids
        assert [sorted(item) for item in alias] == [sorted(item) for item in as_json]  # type: ignore[union-attr]
    elif command[0] == "plan":
        assert alias["changes"] == as_json["changes"]  # type: ignore[index]
    elif command[0] != "doctor":  # doctor's timings differ
        assert alias == as_json
    markdown = remote_cli(*command, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert markdown.stdout.startswith("#"), markdown.stdout[:80]
    if command[0] in ("plan", "upload", "doctor", "moderation"):
        assert markdown.stderr.startswith("Target: ") or command[0] == "doctor"
    both = remote_cli(*command, "--json", "--format", "markdown")
    assert both.exit_code == 64
    assert "--json means --format json" in both.stderr


def test_upload_markdown_is_a_table_of_files(applied, remote_cli):
    result = remote_cli(
        "upload", str(IMAGES / "sunset.png"), str(IMAGES / "badge.webp"), "--preset",
        "ugc-moderated", "--format", "markdown",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows[0] == "| File | Public ID | URL | Moderation |"
    assert len(rows) == 3
    assert re.search(r"\| aws_rek \w+, manual \w+ \|$", rows[1]), rows[1]
    assert "2/2 uploaded" in result.stderr


# --------------------------------------------------------------------------- colour


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {}, False),  # not a terminal
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # the flag wins
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "0"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ],
)
def test_color_follows_the_flag_no_color_and_force_color(project_dir, cli, args, env, coloured):
    result = cli("validate", *args, env=env)
    assert result.exit_code == 0, result.output
    assert bool(ANSI.search(result.stdout)) is coloured
    assert ANSI.sub("", result.stdout).splitlines()[-1].startswith("3 file(s), 3 valid preset(s)")


def test_color_is_also_a_global_option(project_dir, cli):
    assert ANSI.search(cli("--color", "always", "validate").stdout)
    assert not ANSI.search(cli("--color", "never", "validate", env={"FORCE_COLOR": "1"}).stdout)


# --------------------------------------------------------------------------- progress


def test_upload_shows_progress_with_an_eta_on_a_terminal_stderr(
    applied, cloudinary_url, monkeypatch
):
    monkeypatch.setenv("CLOUDINARY_URL", cloudinary_url)
    files = [str(IMAGES / n) for n in ("sunset.png", "portrait.jpg", "badge.webp")]
    code, out, err = _in_terminal(["upload", *files, "--preset", "ugc-moderated"])
    assert code == 0, err
    status = r"\r\x1b\[K"  # back to the start of the line, erase it, draw
    assert re.search(status + r"uploading 0/3 0%", err)
    assert re.search(status + r"uploading 1/3 33% ETA \d+:\d\d", err)
    assert re.search(status + r"uploading 3/3 100%", err)
    assert err.endswith("3/3 uploaded; 0 rejected by moderation; 0 failed\n")
    assert sum(" -> " in line for line in out.splitlines()) == 3, "results stay on stdout"
    assert "\r" not in out


def test_no_progress_when_stderr_is_not_a_terminal(applied, remote_cli):
    result = remote_cli("upload", str(IMAGES / "sunset.png"), "--preset", "product-images")
    assert "\r" not in result.output
    assert "uploading" not in result.stderr


def test_apply_shows_progress_on_a_terminal_stderr(project_dir, cloudinary_url, monkeypatch):
    monkeypatch.setenv("CLOUDINARY_URL", cloudinary_url)
    code, out, err = _in_terminal(["apply", "--yes", "--parallelism", "1"])
    assert code == 0, err
    assert re.search(r"\r\x1b\[Kapplying 0/3 0% create avatar", err)
    assert re.search(r"\r\x1b\[Kapplying 1/3 33% ETA \d+:\d\d", err)
    assert [line for line in out.splitlines() if line.startswith("created ")] == [
        "created avatar", "created product-images", "created ugc-moderated",
    ]  # fmt: skip


# --------------------------------------------------------------------------- summaries


def test_a_stale_plan_names_the_presets_that_moved(project_dir, remote_cli, emulator):
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    for name in ("avatar", "ugc-moderated"):
        path = project_dir / "presets" / f"{name}.yaml"
        path.write_text(path.read_text().replace("tags: [", "tags: [edited, "))
    result = remote_cli("apply", "plan.json")
    assert result.exit_code == 3
    assert "the definitions changed since the plan was made: avatar, ugc-moderated" in result.stderr
    assert emulator.presets("demo") == []


def test_an_interrupted_apply_names_what_was_not_attempted(project_dir, remote_cli, monkeypatch):
    for i in range(30):
        (project_dir / "presets" / f"p{i:02d}.yaml").write_text(f"name: p{i:02d}\n")
    from cloudinary_presets.cli import applying
    from cloudinary_presets.operations import interruption

    pressed: list[Any] = []

    class Recorded(interruption.Interruption):
        def __init__(self) -> None:
            super().__init__()
            pressed.append(self)

    original = applying.ApplyConsole.on_event

    def interrupt(self, event):
        original(self, event)
        if event.kind == "done" and not pressed[0].stopping.is_set():
            pressed[0].press()  # what Ctrl-C does while the writes run

    monkeypatch.setattr(interruption, "Interruption", Recorded)
    monkeypatch.setattr(applying.ApplyConsole, "on_event", interrupt)
    result = remote_cli("apply", "--yes", "--parallelism", "1")
    assert result.exit_code == 130
    lines = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert lines[0] == "  written: 1 create(s): avatar"
    assert lines[1] == (
        "  not attempted: 32 create(s): "
        + ", ".join(f"p{i:02d}" for i in range(20))
        + " and 12 more"
    )


def test_the_review_queue_in_every_format(applied, remote_cli):
    upload = remote_cli(
        "upload", str(IMAGES / "sunset.png"), "--preset", "ugc-moderated", "--wait", "--json"
    )
    assert upload.exit_code == 0, upload.output
    [item] = json.loads(upload.stdout)
    queued = _json(remote_cli("moderation", "queue", "--json"))
    assert [q["public_id"] for q in queued] == [item["public_id"]]  # type: ignore[union-attr]
    markdown = remote_cli("moderation", "queue", "--format", "markdown").stdout
    assert markdown.startswith("### Moderation queue manual (pending, image): 1 asset(s)")
    assert f"| `{item['public_id']}` |" in markdown
    decided = _json(remote_cli("moderation", "approve", item["public_id"], "--json"))
    assert decided[0]["decision"] == "approved"  # type: ignore[index]
