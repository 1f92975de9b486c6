"""The git-reviewed workflow: --base plans, GitHub annotations and summaries, the example CI."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

UGC = """\
name: ugc
protect: {protect}
settings:
  allowed_formats: [jpg, png]
  moderation:
    - aws_rek: {{explicit_nudity: {threshold}, suggestive: ignore}}
    - manual
"""
AVATAR = """\
name: avatar
unsigned: {unsigned}
disallow_public_id: true
settings:
  allowed_formats: [jpg, png]
  moderation: manual
"""


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            "HOME": str(root),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        },
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "presets").mkdir(parents=True)
    (root / "presets" / "ugc.yaml").write_text(UGC.format(protect="false", threshold=0.7))
    (root / "presets" / "avatar.yaml").write_text(AVATAR.format(unsigned="false"))
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    return root


def test_base_diffs_a_commit_against_the_work_tree_without_credentials(repo, cli):
    (repo / "presets" / "ugc.yaml").write_text(UGC.format(protect="false", threshold=0.5))
    (repo / "presets" / "avatar.yaml").write_text(AVATAR.format(unsigned="true"))
    result = cli("plan", "--base", "HEAD", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Target: definitions at HEAD vs the work tree (no credentials used)"
    assert "~ update ugc    presets/ugc.yaml:1" in lines
    heading = lines.index("    settings.moderation:")
    assert lines[heading + 1] == "        ~ aws_rek.explicit_nudity: 0.7 -> 0.5 (stricter)"
    assert "    ! security: becomes unsigned: anyone who knows the name can upload" in lines
    assert "Plan: 0 to create, 2 to update, 0 to delete. 0 unchanged." in lines
    assert not (repo / ".presets" / "emulator.sqlite").exists()  # no target was opened


def test_base_across_commits_shows_creates_and_deletes(repo, cli):
    (repo / "presets" / "avatar.yaml").unlink()
    (repo / "presets" / "new.yaml").write_text("name: new\nsettings: {folder: n}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change")
    result = cli("plan", "--base", "HEAD~1", "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    actions = {c["remote_name"]: c["action"] for c in plan["changes"]}
    assert actions == {"new": "create", "avatar": "delete", "ugc": "unchanged"}
    assert plan["target"]["description"] == "definitions at HEAD~1 (no credentials used)"
    same = cli("plan", "--base", "HEAD", "--detailed-exitcode")
    assert same.exit_code == 0
    assert "No changes" in same.stdout


def test_base_refuses_to_drop_a_preset_protected_at_the_base(repo, cli):
    (repo / "presets" / "ugc.yaml").write_text(UGC.format(protect="true", threshold=0.7))
    _git(repo, "commit", "-qam", "protect")
    (repo / "presets" / "ugc.yaml").unlink()
    result = cli("plan", "--base", "HEAD")
    assert result.exit_code == 3
    assert "- delete ugc" in result.stdout
    assert "the plan would delete protected preset(s): ugc" in result.stderr


def test_base_with_an_unknown_revision_is_a_usage_error(repo, cli):
    result = cli("plan", "--base", "no-such-rev")
    assert result.exit_code == 64
    assert "unknown git revision 'no-such-rev'" in result.stderr


def test_base_reports_definitions_that_were_invalid_at_the_base(repo, cli):
    (repo / "presets" / "ugc.yaml").write_text("name: ugc\nsettings: {tags: 5}\n")
    _git(repo, "commit", "-qam", "broken")
    (repo / "presets" / "ugc.yaml").write_text(UGC.format(protect="false", threshold=0.7))
    result = cli("plan", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert "warning: at HEAD: HEAD:presets/ugc.yaml:2:18: error: settings.tags:" in result.stdout
    assert "+ create ugc" in result.stdout


# --------------------------------------------------------------------------- GitHub output


def _many_errors(root: Path, count: int) -> None:
    for i in range(count):
        (root / "presets" / f"bad{i:02d}.yaml").write_text(f"name: bad{i:02d}\nunsigned: yes\n")


def test_validate_github_annotations_are_exact(repo, cli):
    (repo / "presets" / "bad.yaml").write_text("name: bad\nsettings:\n  tags: 5\n  folder: 'a,b'\n")
    (repo / "presets" / "open.yaml").write_text(
        "name: open\nunsigned: true\nsettings: {moderation: manual}\n"
    )
    result = cli("validate", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=presets/bad.yaml,line=3,col=9,title=settings.tags::settings.tags: "
        "expected a list of tags, e.g. [a, b], got the number 5",
        "::warning file=presets/open.yaml,line=2,col=1,title=unsigned-without-allowed-formats::"
        "unsigned: unsigned preset accepts any file type: anyone who knows its name can upload "
        "executables or huge videos; set settings.allowed_formats",
        "::warning file=presets/open.yaml,line=2,col=1,title=unsigned-allows-public-id::"
        "disallow_public_id: unsigned preset lets uploaders choose public IDs (squatting, "
        "collisions); set disallow_public_id: true",
        "4 file(s), 3 valid preset(s): 1 error(s), 2 warning(s)",
    ]


def test_validate_github_respects_the_ten_per_severity_limit(repo, cli):
    _many_errors(repo, 13)
    result = cli("validate", "--format", "github")
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error file=")]
    assert len(errors) == 10
    assert (
        "::error title=more errors::3 more error(s) not shown as annotations (GitHub shows 10 "
        "per step); see the job log or run `presets validate` locally"
    ) in result.stdout


def test_annotation_escaping():
    from cloudinary_presets.errors import Location, Problem
    from cloudinary_presets.renderers.github import annotation

    problem = Problem("100% bad\nsecond, line: x", Location("a,b:c.yaml", 2, 3), "p")
    assert annotation(problem) == (
        "::error file=a%2Cb%3Ac.yaml,line=2,col=3,title=p::p: 100%25 bad%0Asecond, line: x"
    )


def test_validate_and_plan_write_the_step_summary(repo, cli, tmp_path, emulator):
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "CLOUDINARY_URL": emulator.cloudinary_url("demo")}
    assert cli("validate", env=env).exit_code == 0
    assert cli("plan", env=env).exit_code == 0
    text = summary.read_text()
    assert "### Preset definitions: ✅ valid" in text
    assert "| Create | Update | Delete | Unchanged | Unmanaged |" in text
    assert "| 2 | 0 | 0 | 0 | 0 |" in text


# --------------------------------------------------------------------------- the example workflow


def _run_commands(workflow: dict) -> list[list[str]]:
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                line = line.strip()
                if line.startswith("presets "):
                    words = shlex.split(line.split(">")[0].split(">>")[0])
                    commands.append(words)
            if str(step.get("uses", "")).endswith("/cloudinary-presets@COMMIT"):  # action.yml
                given = step["with"]
                env = ["--env", given["env"]] if given.get("env") else []
                args = shlex.split(given.get("args", ""))
                commands.append(["presets", *shlex.split(given["command"]), *env, *args])
    return commands


def test_example_workflow_parses_and_its_commands_exist(cli):
    workflow = yaml.safe_load((REPO / "examples/github-actions/presets.yml").read_text())
    assert {"plan", "apply", "drift"} <= set(workflow["jobs"])
    commands = _run_commands(workflow)
    used = {c[1] for c in commands}
    assert {"validate", "plan", "apply"} <= used
    for words in commands:
        sub = words[1]
        result = cli(sub, "--help")
        assert result.exit_code == 0, (words, result.output)
        options = {w.split("=")[0] for w in words[2:] if w.startswith("--")}
        for option in options:
            assert option in result.stdout, f"`presets {sub}` has no option {option}"


def test_pre_commit_hook_runs_validate():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "presets-validate"
    assert hooks[0]["entry"] == "presets validate"
