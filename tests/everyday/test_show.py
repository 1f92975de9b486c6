"""``presets show PLAN``: a saved plan rendered with nothing but the file; and what plans
show a reviewer first (creates without defaults, thresholds nested, long lists counted)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from everyday_helpers import Terminal, TerminalInput

from cli_runner import run_main
from cloudinary_presets.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def saved(project_dir, remote_cli, emulator):
    """A plan with a create, an update (moderation thresholds), unchanged and unmanaged."""
    assert remote_cli("apply", "--yes").exit_code == 0
    ugc = project_dir / "presets" / "ugc-moderated.yaml"
    ugc.write_text(ugc.read_text().replace("violence: 0.8", "violence: 0.6"))
    (project_dir / "presets" / "avatar.yaml").rename(project_dir / "avatar.bak")
    (project_dir / "presets" / "new.yaml").write_text("name: new\nsettings: {folder: n}\n")
    result = remote_cli("plan", "--out", "plan.json", "--labels", "../labels.jsonl")
    assert result.exit_code == 0, result.output
    return project_dir / "plan.json"


@pytest.fixture(autouse=True)
def _labels(project_dir):
    shutil.copy(REPO / "examples" / "moderation" / "labels.jsonl", project_dir.parent)


def test_show_renders_a_saved_plan_without_credentials_or_definitions(saved, cli, project_dir):
    live = json.loads(saved.read_text())
    shutil.rmtree(project_dir / "presets")  # show needs only the file

    text = cli("show", str(saved))

    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"Saved plan {saved}: made {live['created_at']} by presets ")
    assert lines[1] == f"Target: {live['target']['description']}"
    assert "+ create new    presets/new.yaml:1" in lines
    assert '    + settings.folder: "n"' in lines
    assert not any("unsigned: false" in line for line in lines), "defaults only with -v"
    heading = lines.index("    settings.moderation:")
    assert lines[heading + 1] == "        ~ aws_rek.violence: 0.8 -> 0.6 (stricter)"
    assert "    on 25 labelled sample(s):" in lines, "the saved moderation impact is shown"
    assert "= 2 unchanged: avatar, product-images" not in lines  # avatar is gone: unmanaged
    assert "= 1 unchanged: product-images" in lines
    assert "? unmanaged avatar" in lines
    assert lines[-2] == (
        "Plan: 1 to create, 1 to update, 0 to delete. 1 unchanged, 1 unmanaged (not in any "
        "file; listed, never touched without --prune)."
    )
    assert text.stderr == ""

    verbose = cli("show", str(saved), "-v").stdout.splitlines()
    assert "    + unsigned: false" in verbose
    assert "= unchanged product-images    presets/product-images.yaml:2" in verbose

    as_json = json.loads(cli("show", str(saved), "--format", "json").stdout)
    assert as_json["changes"] == live["changes"]
    assert as_json["checksum"] == live["checksum"]
    assert as_json["moderation_impact"] == live["moderation_impact"]
    assert json.loads(cli("show", str(saved), "--json").stdout) == as_json

    markdown = cli("show", str(saved), "--format", "markdown").stdout
    assert markdown.startswith(f"<sub>Saved plan {saved}: made ")
    assert f"### Saved preset plan for {live['target']['description']}" in markdown
    assert "  settings.moderation:\n!   aws_rek.violence: 0.8 -> 0.6 (stricter)" in markdown
    assert f"Plan checksum `{live['checksum']}`" in markdown


def test_show_explains_a_file_that_is_not_a_plan(tmp_path, cli):
    missing = cli("show", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1
    assert "cannot read the plan file" in missing.stderr
    (tmp_path / "x.json").write_text("{}")
    wrong = cli("show", str(tmp_path / "x.json"))
    assert wrong.exit_code == 3  # refused, as `apply` refuses it
    assert "x.json is not a plan file" in wrong.stderr
    assert "nothing was written" not in wrong.stderr  # show writes nothing anyway
    assert "hint: show the file `presets plan --out` wrote" in wrong.stderr
    assert "Traceback" not in wrong.output


def test_long_lists_are_a_count_and_a_few_names(project_dir, remote_cli, emulator):
    emulator.seed_presets("demo", [{"name": f"old{i:02d}", "folder": "x"} for i in range(25)])
    text = remote_cli("plan").stdout.splitlines()
    assert (
        "? 25 unmanaged: old00, old01, old02, old03, old04 and 20 more (-v lists them all)"
    ) in text
    assert not any(line.startswith("? unmanaged old") for line in text)
    verbose = remote_cli("plan", "-v").stdout.splitlines()
    assert sum(line.startswith("? unmanaged old") for line in verbose) == 25
    data = json.loads(remote_cli("plan", "--format", "json").stdout)
    assert sum(c["action"] == "unmanaged" for c in data["changes"]) == 25
    markdown = remote_cli("plan", "--format", "markdown").stdout
    assert "`old04` and 20 more" in markdown
    assert "`old24`" in remote_cli("plan", "--format", "markdown", "-v").stdout

    assert remote_cli("apply", "--yes").exit_code == 0
    for i in range(22):
        (project_dir / "presets" / f"p{i:02d}.yaml").write_text(f"name: p{i:02d}\n")
    assert remote_cli("apply", "--yes").exit_code == 0
    unchanged = remote_cli("plan").stdout.splitlines()
    assert "= 25 unchanged: avatar, p00, p01, p02, p03 and 20 more (-v lists them all)" in unchanged


def test_a_long_plan_goes_through_the_pager_on_a_terminal(saved, cli, monkeypatch, tmp_path):
    paged = tmp_path / "paged.txt"
    pager = f"import sys; open({str(paged)!r}, 'w').write(sys.stdin.read())"
    monkeypatch.setenv("PAGER", f'{sys.executable} -c "{pager}"')
    monkeypatch.setattr(
        "shutil.get_terminal_size", lambda fallback=(80, 24): os.terminal_size((80, 5))
    )
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))
    monkeypatch.setattr(sys, "stdout", Terminal(sys.stdout))
    assert main(["show", str(saved)]) == 0
    assert "+ create new" in paged.read_text()
    paged.unlink()
    assert main(["show", str(saved), "--no-pager"]) == 0
    assert not paged.exists()
    assert run_main(["show", str(saved)]).exit_code == 0  # not a terminal: no pager
    assert not paged.exists()
