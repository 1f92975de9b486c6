"""The docs stay true: links resolve, shown commands exist, the reference covers everything.

The README is short (a pitch, the quickstart, a tour, links); the reference lives in
``docs/``. These tests keep both honest: every relative link and anchor resolves, every
``presets ...`` command shown in a shell block is a real command with real options, every
command, option, setting, lint and exit code is in its reference page, the Python examples
run, and the README's test command is the one CI runs.
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
import yaml

from cli_runner import run_main
from cloudinary_presets import errors
from cloudinary_presets.definitions.lints import LINT_IDS
from cloudinary_presets.model.preset import Preset, Settings
from docs_support import (
    CLI_REFERENCE,
    DOCS,
    README,
    REPO,
    anchors,
    blocks,
    check_invocation,
    cli_reference,
    doc_files,
    inline_commands,
    links,
    option_names,
    prose,
    root,
    shown_commands,
    walk,
)

README_MAX_LINES = 300


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _page(name: str) -> str:
    return _text(DOCS / name)


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


# --------------------------------------------------------------------------- the README


def test_readme_fits_in_five_minutes():
    lines = len(_text(README).splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES})"


def _quickstart_commands() -> list[str]:
    section = _text(README).split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    found = [b for b in blocks(section) if b.info == "sh"]
    assert len(found) == 2, "the quickstart is exactly two shell commands"
    assert all(len(b.lines) == 1 for b in found), "each quickstart command is one line"
    return [b.lines[0].strip() for b in found]


def test_quickstart_installs_and_runs_the_main_job():
    first, _ = _quickstart_commands()
    steps = [s.strip() for s in first.split("&&")]
    assert steps[0].startswith("python3 -m venv .venv")
    assert "pip install ." in steps
    assert steps[-2:] == ["presets apply --yes", "presets plan"]


def _normalised(command: str) -> str:
    """A pip or pytest command without ``--quiet`` (CI is quieter, nothing else differs)."""
    return " ".join(t for t in shlex.split(command) if t not in ("--quiet", "-q"))


def test_readme_test_command_is_what_ci_runs():
    _, second = _quickstart_commands()
    steps = [s.strip() for s in second.split("&&")]
    assert steps[0] == ". .venv/bin/activate"
    ci_lines = [line.strip() for line in _text(REPO / ".ci" / "run").splitlines()]
    ci_commands = {_normalised(line) for line in ci_lines if line and not line.startswith("#")}
    for step in steps[1:]:
        assert _normalised(step) in ci_commands, f"`{step}` is not what .ci/run runs"
    assert steps[-1] in ci_lines, "the README's test command must be a line of .ci/run"
    assert any("'.[test]'" in step for step in steps), "the tests need the test extra"


# --------------------------------------------------------------------------- links


def _relative_links() -> list[tuple[Path, str]]:
    out = []
    for path in doc_files():
        for target in links(_text(path)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            out.append((path, target))
    return out


@pytest.mark.parametrize(
    ("page", "target"), _relative_links(), ids=[f"{_id(p)}->{t}" for p, t in _relative_links()]
)
def test_every_relative_link_resolves(page, target):
    file_part, _, anchor = target.partition("#")
    resolved = (page.parent / file_part).resolve() if file_part else page
    assert resolved.exists(), f"{_id(page)}: link {target!r} points to a missing file"
    assert resolved.is_relative_to(REPO), f"{_id(page)}: {target!r} leaves the repository"
    if anchor and resolved.suffix == ".md":
        found = anchors(_text(resolved))
        assert anchor in found, f"{_id(page)}: no heading for #{anchor} in {_id(resolved)}"


@pytest.mark.parametrize("page", doc_files(), ids=_id)
def test_no_path_leaves_the_repository(page):
    """Paths such as ``../shared/...`` or ``/work/...`` mean nothing in a clone."""
    text = prose(_text(page)) if page.parent == DOCS else _text(page)
    for match in re.finditer(r"`(/work/[^`]*|(?:\.\./)+[^`]*)`", text):
        path = match.group(1)
        resolved = (page.parent / path).resolve()
        if path.startswith("../") and resolved.is_relative_to(REPO) and resolved.exists():
            continue
        pytest.fail(f"{_id(page)}: {path!r} is outside the repository")


def test_anchor_slugs_follow_github():
    text = "## Plan, apply, import\n### `presets plan`\n## Choices where Cloudinary's X\n## A\n## A"
    assert anchors(text) == {
        "plan-apply-import",
        "presets-plan",
        "choices-where-cloudinarys-x",
        "a",
        "a-1",
    }


@pytest.mark.parametrize("page", doc_files(), ids=_id)
def test_named_python_objects_exist(page):
    """``cloudinary_presets.x.y`` names in the docs import (modules move; docs must follow)."""
    for dotted in sorted(set(re.findall(r"\bcloudinary_presets(?:\.\w+)+", _text(page)))):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                assert hasattr(obj, attr), f"{_id(page)}: `{dotted}` does not exist"
                obj = getattr(obj, attr)
            break


# --------------------------------------------------------------------------- commands


def _shown() -> list[tuple[str, str]]:
    return [
        (f"{_id(path)}:{line}", command)
        for path in doc_files()
        for found in (shown_commands, inline_commands)
        for line, command in found(_text(path))
    ]


def test_the_docs_show_commands():
    shown = {command.split()[1] for _, command in _shown() if len(command.split()) > 1}
    assert {"validate", "plan", "apply", "upload", "moderation"} <= shown


@pytest.mark.parametrize(("where", "command"), _shown(), ids=[w for w, _ in _shown()])
def test_every_shown_command_is_real(where, command):
    problems = check_invocation(command)
    assert problems == [], f"{where}: {'; '.join(problems)}"


@pytest.mark.parametrize(
    "line",
    [
        "presets plna",
        "presets plan --fromat json",
        "presets plan --format github",
        "presets moderation simulat --preset x",
        "presets upload a.png --preset x --tags y",
    ],
)
def test_the_command_check_catches_mistakes(line):
    assert check_invocation(line)


def _commands() -> list[tuple[str, click.Command, click.Context]]:
    cli, ctx = root()
    return [(sub.command_path, command, sub) for command, sub in walk(cli, ctx)]


@pytest.mark.parametrize(("path", "command", "ctx"), _commands(), ids=[p for p, *_ in _commands()])
def test_every_command_and_option_is_in_the_cli_reference(path, command, ctx):
    reference = _text(CLI_REFERENCE)
    hint = "rerun `python tests/docs_support.py` to regenerate docs/cli.md"
    assert f"### `{path}`" in reference, f"`{path}` is not in docs/cli.md; {hint}"
    section = reference.split(f"### `{path}`", 1)[1].split("\n### ", 1)[0]
    for name in sorted(option_names(command, ctx)):
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", section), (
            f"`{path} {name}` is not in docs/cli.md; {hint}"
        )
    assert command.help, f"`{path}` has no help text"
    assert len(command.help.strip()) > 20, f"`{path}` has almost no help text"


def test_cli_reference_generator_covers_every_command():
    generated = cli_reference()
    for path, *_ in _commands():
        assert f"### `{path}`" in generated


@pytest.mark.parametrize(
    "code",
    [
        errors.EXIT_OK,
        errors.EXIT_ERROR,
        errors.EXIT_CHANGES,
        errors.EXIT_REFUSED,
        errors.EXIT_USAGE,
        errors.ApplyInterrupted.exit_code,
    ],
)
def test_every_exit_code_is_in_the_table(code):
    assert re.search(rf"^\| {code} \|", _text(CLI_REFERENCE), re.MULTILINE)


# --------------------------------------------------------------------------- the format


@pytest.mark.parametrize("field", [f.alias or n for n, f in Settings.model_fields.items()])
def test_every_setting_is_in_the_format_reference(field):
    assert re.search(rf"`{re.escape(field)}`", _page("preset-format.md")), field


@pytest.mark.parametrize("field", list(Preset.model_fields))
def test_every_top_level_key_is_documented(field):
    assert f"| `{field}` |" in _page("preset-format.md")


@pytest.mark.parametrize("lint_id", sorted(LINT_IDS))
def test_every_lint_is_documented(lint_id):
    assert f"| `{lint_id}` |" in _page("preset-format.md")


def test_every_configuration_key_is_documented():
    from cloudinary_presets.definitions.config import Environment, ProjectConfig

    page = _page("environments.md")
    for key in [*ProjectConfig.model_fields, *Environment.model_fields]:
        assert f"`{key}" in page, f"configuration key `{key}` is not in docs/environments.md"


# --------------------------------------------------------------------------- credentials


def _credential_variables(text: str) -> set[str]:
    return set(re.findall(r"credentials:\s*\{env:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", text))


def test_docs_and_examples_name_the_same_credential_variables():
    example = _text(REPO / "examples" / "multi-env" / "cloudinary-presets.yaml")
    in_example = _credential_variables(example)
    assert in_example
    for path in doc_files():
        yaml_blocks = "\n".join("\n".join(b.lines) for b in blocks(_text(path)) if b.info == "yaml")
        shown = _credential_variables(yaml_blocks)
        assert shown <= in_example, f"{_id(path)} names {shown - in_example}; the example does not"
    workflow = yaml.safe_load(_text(REPO / "examples" / "github-actions" / "presets.yml"))
    secrets = set(re.findall(r"secrets\.(\w+)", str(workflow)))
    assert in_example <= secrets, "the example workflow must supply every credentials variable"
    assert in_example <= set(re.findall(r"`(\w+)`", _page("environments.md")))


# --------------------------------------------------------------------------- examples


def _python_blocks(path: Path) -> list[str]:
    return ["\n".join(b.lines) for b in blocks(_text(path)) if b.info == "python"]


def test_python_examples_run_from_a_copy_of_the_repository_root(tmp_path, monkeypatch, capsys):
    for folder in ("presets", "examples"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    assert run_main(["apply", "--yes"]).exit_code == 0
    examples = _python_blocks(DOCS / "python-api.md") + _python_blocks(README)
    assert len(examples) >= 9
    for code in examples:
        exec(compile(code, "<docs example>", "exec"), {"__name__": "__docs__"})
    printed = capsys.readouterr().out
    assert "3 valid definition(s)" in printed
    assert "No changes." in printed
    assert printed.count("ugc/") >= 2  # two uploads into the preset's folder
    assert "pending (manual review)" in printed  # aws_rek approves, a person is next
    assert "['api_key', 'signature', 'tags', 'timestamp', 'upload_preset']" in printed
    assert "\n200 ugc/" in printed  # the browser's POST with the direct upload fields
    assert "1/1 approved; 0 failed" in printed  # the review queue had uploads waiting
    assert "\n401\n" in printed  # a forged notification is refused
    assert "1/1 uploaded; 0 rejected by moderation; 0 failed" in printed  # wait=True
