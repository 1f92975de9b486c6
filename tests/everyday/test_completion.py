"""Shell completion, through click's own machinery and the variables a shell sets."""

from __future__ import annotations

import contextlib
import io
import shutil

import pytest

from cloudinary_presets.cli import main

COMPLETE = "_PRESETS_COMPLETE"


def _complete(cli, words: str, shell: str = "bash") -> list[str]:
    """What TAB offers after ``words`` (a trailing space: a new word): the lines click's
    completion writes for the shell (bash and fish: ``type,value``)."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    variables = {COMPLETE: f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    if shell == "fish":  # fish passes the word being completed, not its index
        variables["COMP_CWORD"] = "" if words.endswith(" ") else words.split()[-1]
    binary = io.BytesIO()
    stdout = io.TextIOWrapper(binary, encoding="utf-8")  # click writes bytes to .buffer
    with pytest.MonkeyPatch.context() as mp:
        for key, value in variables.items():
            mp.setenv(key, value)
        with contextlib.redirect_stdout(stdout):
            code = main([])
        stdout.flush()
    assert code == 0
    return [line for line in binary.getvalue().decode().splitlines() if line]


def _values(lines: list[str]) -> list[str]:
    return [line.split(",", 1)[1] for line in lines]


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "_PRESETS_COMPLETE=bash_complete"),
        ("zsh", "#compdef presets"),
        ("fish", "_PRESETS_COMPLETE=fish_complete"),
    ],
)
def test_completion_prints_the_script_for_each_shell(cli, shell, marker):
    result = cli("completion", shell)
    assert result.exit_code == 0, result.output
    assert marker in result.stdout
    assert cli("completion", "tcsh").exit_code == 64


def test_commands_and_options_complete(cli, project_dir):
    assert _values(_complete(cli, "presets sh")) == ["show"]
    assert "--presets-dir" in _values(_complete(cli, "presets validate --pre"))


def test_preset_names_complete_from_the_definitions(cli, project_dir):
    assert _complete(cli, "presets resolve ") == [
        "plain,avatar",
        "plain,product-images",
        "plain,ugc-moderated",
    ]
    assert _values(_complete(cli, "presets render ugc")) == ["ugc-moderated"]
    assert _values(_complete(cli, "presets upload a.png --preset av")) == ["avatar"]
    assert _values(_complete(cli, "presets moderation simulate --preset p")) == ["product-images"]
    assert _values(_complete(cli, "presets plan --only a")) == ["avatar"]


def test_preset_names_follow_root_and_presets_dir(cli, project_dir, tmp_path, monkeypatch):
    other = project_dir / "other"
    other.mkdir()
    (other / "z.yaml").write_text("name: zebra\n")
    (other / "broken.yaml").write_text("name: [\n")  # unreadable files are skipped
    assert _values(_complete(cli, "presets resolve --presets-dir other ")) == ["zebra"]
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(other, elsewhere / "presets")
    completed = _complete(cli, f"presets resolve --root {elsewhere} ")
    assert _values(completed) == ["zebra"]
    sub = project_dir / "presets" / "deep"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert _values(_complete(cli, "presets resolve a")) == ["avatar"]


def test_environment_names_complete_from_the_configuration(cli, project_dir):
    (project_dir / "cloudinary-presets.yaml").write_text(
        "environments:\n  staging: {emulator: true}\n  production: {emulator: true}\n"
    )
    assert _values(_complete(cli, "presets plan --env ")) == ["production", "staging"]
    assert _values(_complete(cli, "presets doctor --env st")) == ["staging"]
    (project_dir / "cloudinary-presets.yaml").write_text("environments: [broken\n")
    assert _complete(cli, "presets plan --env ") == [], "a broken configuration offers nothing"


def test_plan_files_complete_with_folders(cli, project_dir):
    (project_dir / "plan.json").write_text("{}")
    (project_dir / "notes.txt").write_text("")
    (project_dir / "plans").mkdir()
    (project_dir / "plans" / "prod.json").write_text("{}")
    offered = _complete(cli, "presets show ")
    assert "file,plan.json" in offered
    assert "dir,plans/" in offered
    assert "dir,presets/" in offered
    assert not any("notes.txt" in line for line in offered)
    assert _complete(cli, "presets apply plans/") == ["file,plans/prod.json"]
    assert _complete(cli, "presets show pl") == ["file,plan.json", "dir,plans/"]


def test_zsh_and_fish_get_the_same_candidates(cli, project_dir):
    zsh = _complete(cli, "presets resolve ugc", shell="zsh")
    assert zsh[:2] == ["plain", "ugc-moderated"]
    fish = _complete(cli, "presets resolve ugc", shell="fish")
    assert fish == ["plain,ugc-moderated"]
